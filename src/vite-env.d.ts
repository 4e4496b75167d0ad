// Module kinds that only exist through Vite's import suffixes.
declare module '*.css?inline' {
  const css: string;
  export default css;
}
declare module '*?worker&url' {
  const url: string;
  export default url;
}
