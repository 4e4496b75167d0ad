/**
 * `<x-terminal>`'s look from CSS custom properties: xterm.js draws with colours and fonts
 * given in JavaScript, so the element reads its computed style and builds xterm options.
 */
import type { ITheme } from '@xterm/xterm';

/** xterm theme key → custom property suffix (`--x-terminal-<suffix>`). */
const COLOR_PROPS: [keyof ITheme, string][] = [
  ['background', 'background'],
  ['foreground', 'foreground'],
  ['cursor', 'cursor'],
  ['cursorAccent', 'cursor-accent'],
  ['selectionBackground', 'selection'],
  ['selectionForeground', 'selection-foreground'],
  ['black', 'black'],
  ['red', 'red'],
  ['green', 'green'],
  ['yellow', 'yellow'],
  ['blue', 'blue'],
  ['magenta', 'magenta'],
  ['cyan', 'cyan'],
  ['white', 'white'],
  ['brightBlack', 'bright-black'],
  ['brightRed', 'bright-red'],
  ['brightGreen', 'bright-green'],
  ['brightYellow', 'bright-yellow'],
  ['brightBlue', 'bright-blue'],
  ['brightMagenta', 'bright-magenta'],
  ['brightCyan', 'bright-cyan'],
  ['brightWhite', 'bright-white'],
];

/** Also the default of `--x-terminal-background` in the element's CSS (the padding around the grid). */
export const DEFAULT_BACKGROUND = '#1e1e1e';

const DEFAULT_THEME: ITheme = {
  background: DEFAULT_BACKGROUND,
  foreground: '#d4d4d4',
  cursor: '#d4d4d4',
  selectionBackground: 'rgba(128, 160, 255, 0.4)',
};

export const DEFAULT_FONT_FAMILY =
  'ui-monospace, "Cascadia Mono", "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace';
export const DEFAULT_FONT_SIZE = 14;

export interface TerminalLook {
  theme: ITheme;
  fontFamily: string;
  fontSize: number;
}

/** Reads the custom properties as they apply to `el` now. */
export function readLook(el: Element): TerminalLook {
  const style = getComputedStyle(el);
  const prop = (name: string) => style.getPropertyValue(`--x-terminal-${name}`).trim();
  const theme: ITheme = { ...DEFAULT_THEME };
  for (const [key, name] of COLOR_PROPS) {
    const color = normalizeColor(prop(name));
    if (color) (theme as Record<string, string>)[key] = color;
  }
  const size = parseFloat(prop('font-size'));
  return {
    theme,
    fontFamily: prop('font-family') || DEFAULT_FONT_FAMILY,
    fontSize: size > 0 ? size : DEFAULT_FONT_SIZE,
  };
}

let colorContext: CanvasRenderingContext2D | null | undefined;

/**
 * Any CSS colour (a name, hsl(), color-mix()...) as #rrggbb or rgba(): xterm.js parses only
 * a few notations, the canvas parses all the browser knows. '' when not a colour.
 */
function normalizeColor(value: string): string {
  if (!value) return '';
  colorContext ??= document.createElement('canvas').getContext('2d');
  if (!colorContext) return value;
  // A sentinel tells "invalid" (fillStyle keeps its old value) from a real colour.
  colorContext.fillStyle = '#010203';
  colorContext.fillStyle = value;
  const parsed = String(colorContext.fillStyle);
  if (parsed !== '#010203') return parsed;
  colorContext.fillStyle = '#040506';
  colorContext.fillStyle = value;
  return String(colorContext.fillStyle) === '#040506' ? '' : parsed;
}
