// @ts-check
// What the demo pages share: loading the bundle with a readable error if it is missing, and
// an error line for failures the status element cannot know about.

/** Show `message` in the page's `.error` element (role="alert", so screen readers announce it). */
export function showError(message) {
  const box = document.querySelector('.error');
  if (box) box.textContent = message;
  else console.error(message);
}

export function clearError() {
  const box = document.querySelector('.error');
  if (box) box.textContent = '';
}

/**
 * Import the bundle (defines the elements). A static `<script src>` would fail silently when
 * dist/ has not been built; this says what to do instead.
 * @returns {Promise<typeof import('../src/webx86.js')>}
 */
export async function loadWebx86() {
  try {
    // @ts-ignore -- served by npm start from dist/; not a path the type checker can see.
    return await import('/dist/webx86.js');
  } catch (e) {
    showError(`Could not load /dist/webx86.js: ${e instanceof Error ? e.message : e}\nStart the demo with "npm start", which builds it.`);
    throw e;
  }
}
