/**
 * Registration of the elements' tags. The tags have the generic `x-` prefix, so another
 * library may already own one: that is reported, naming both classes, instead of silently
 * leaving the page with the other library's element (the old `if (!customElements.get(tag))`).
 * The same class again is a no-op (`customElements.define` itself would throw), and so is
 * another copy of webx86's own element (the bundle loaded twice from two URLs): the first
 * copy keeps the tag, once with a console warning.
 */

/** Marks a class as webx86's element for `tag`, across copies of the bundle. */
const OWNER = Symbol.for('webx86.element');

type Owned = CustomElementConstructor & { [OWNER]?: string };

export function define(tag: string, cls: CustomElementConstructor): void {
  (cls as Owned)[OWNER] = tag;
  const existing = customElements.get(tag) as Owned | undefined;
  if (existing === cls) return;
  if (existing === undefined) {
    customElements.define(tag, cls);
    return;
  }
  const mine = cls.name || 'anonymous class';
  const theirs = existing.name || 'anonymous class';
  if (existing[OWNER] === tag) {
    console.warn(`webx86: <${tag}> is already defined by another copy of webx86 (${theirs}); that copy's element is used. Load the webx86 bundle once.`);
    return;
  }
  // (Class names may be minified in a bundle, so the message says whose class is whose.)
  throw new Error(
    `webx86: cannot define <${tag}> (webx86's class ${mine}): the tag is already defined by another library's class ${theirs}. ` +
      `Two libraries cannot own the same tag; load only one of them on this page.`,
  );
}
