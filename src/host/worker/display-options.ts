/** The display options the page's API and the worker's protocol accept (no DOM types: Node tests import it). */

/**
 * Check a display's size (whole pixels, 1 to 16384 each way) and refresh rate (whole Hz, 1 to
 * 1000; absent: 60): what is wrong, or null. The page's API and the worker both check, each
 * with its own error type (the worker's protocol may be driven by other code than the API).
 */
export function displayProblem(width: number, height: number, refresh?: number): string | null {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 16384 || height > 16384) {
    return `width and height are whole pixels from 1 to 16384, got ${width}x${height}`;
  }
  if (refresh !== undefined && (!Number.isInteger(refresh) || refresh < 1 || refresh > 1000)) return `refresh is whole Hz from 1 to 1000, got ${refresh}`;
  return null;
}
