/**
 * The evdev numbers the input devices use, from linux-libc-dev's <linux/input.h> and
 * <linux/input-event-codes.h> (Debian bookworm, Linux 6.1 uapi). Only the codes the
 * devices advertise or answer for are named; the keyboard advertises the whole AT key
 * range KEY_ESC..KEY_MICMUTE, so key names live on the host side (src/api/keycodes.ts,
 * the DOM's KeyboardEvent.code → KEY_* table).
 */

/** EV_VERSION: what EVIOCGVERSION answers. */
export const EV_VERSION = 0x010001;

/** Event types (input-event-codes.h "Event types"). */
export const EV_SYN = 0x00, EV_KEY = 0x01, EV_REL = 0x02, EV_ABS = 0x03, EV_MSC = 0x04, EV_SW = 0x05;
export const EV_LED = 0x11, EV_SND = 0x12, EV_REP = 0x14, EV_FF = 0x15, EV_PWR = 0x16, EV_FF_STATUS = 0x17;
export const EV_MAX = 0x1f;

/** Synchronization events. */
export const SYN_REPORT = 0, SYN_CONFIG = 1, SYN_MT_REPORT = 2, SYN_DROPPED = 3;

/**
 * The highest code of each event type (the *_MAX constants): a type's bitmap holds
 * MAX+1 bits, and EVIOCGBIT copies BITS_TO_LONGS(MAX) longs of it (drivers/input/evdev.c).
 */
export const TYPE_MAX: ReadonlyMap<number, number> = new Map([
  [EV_SYN, EV_MAX], // EVIOCGBIT(0) is the type bitmap itself
  [EV_KEY, 0x2ff], // KEY_MAX
  [EV_REL, 0x0f], // REL_MAX
  [EV_ABS, 0x3f], // ABS_MAX
  [EV_MSC, 0x07], // MSC_MAX
  [EV_SW, 0x10], // SW_MAX
  [EV_LED, 0x0f], // LED_MAX
  [EV_SND, 0x07], // SND_MAX
  [EV_FF, 0x7f], // FF_MAX
]);
export const KEY_MAX = 0x2ff, ABS_MAX = 0x3f, INPUT_PROP_MAX = 0x1f;
/** KEY_MAX before Linux 2.6.28: EVIOCGBIT(EV_KEY, OLD_KEY_MAX) still gets the old length (evdev.c). */
export const OLD_KEY_MAX = 0x1ff;

/** The AT keyboard's key range: KEY_ESC (1) .. KEY_MICMUTE (248). */
export const KEY_ESC = 1, KEY_MICMUTE = 248;

/** Mouse buttons. */
export const BTN_LEFT = 0x110, BTN_RIGHT = 0x111, BTN_MIDDLE = 0x112, BTN_SIDE = 0x113, BTN_EXTRA = 0x114;

/** Relative axes. */
export const REL_X = 0x00, REL_Y = 0x01, REL_HWHEEL = 0x06, REL_WHEEL = 0x08;

/** Absolute axes. */
export const ABS_X = 0x00, ABS_Y = 0x01, ABS_MT_SLOT = 0x2f;

/** LEDs. */
export const LED_NUML = 0x00, LED_CAPSL = 0x01, LED_SCROLLL = 0x02;

/** Autorepeat values: rep[REP_DELAY], rep[REP_PERIOD] (ms). */
export const REP_DELAY = 0, REP_PERIOD = 1;

/** struct input_id bustype (input.h). */
export const BUS_VIRTUAL = 0x06;

/** Clocks EVIOCSCLOCKID accepts (linux/time.h). */
export const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7;
