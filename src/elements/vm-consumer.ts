/**
 * Finds the `<x-vm>` around an element through @lit/context and tells the element when it
 * changes. Shared by `<x-terminal>` and `<x-vm-status>`.
 *
 * Why not a plain `ContextConsumer`: it never reports "no VM any more" (an element moved
 * out of its `<x-vm>` keeps the old value), and a request made before the `<x-vm>` above
 * it was upgraded is lost unless the page happens to have a `ContextRoot`. This controller
 * re-asks whenever any provider of the VM context appears, and reports `undefined` when a
 * reconnected element finds no VM.
 */
import { ContextEvent } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { vmContext, type VmHost } from './context.js';

type Host = ReactiveControllerHost & HTMLElement;

export class VmConsumer implements ReactiveController {
  /** The VM this element belongs to, if any. */
  vm: VmHost | undefined = undefined;
  private unsubscribe: (() => void) | undefined = undefined;
  private answered = false;

  constructor(
    private readonly el: Host,
    private readonly onChange: (vm: VmHost | undefined, old: VmHost | undefined) => void,
  ) {
    el.addController(this);
  }

  hostConnected(): void {
    this.request();
    // A provider appearing later (an `<x-vm>` defined or inserted after us) announces itself
    // with a bubbling, composed `context-provider` event; ask again then.
    window.addEventListener('context-provider', this.onProvider);
  }

  hostDisconnected(): void {
    window.removeEventListener('context-provider', this.onProvider);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private request(): void {
    this.answered = false;
    this.el.dispatchEvent(new ContextEvent(vmContext, this.el, this.callback, true));
    // Providers answer synchronously; silence means we are not inside any VM (now).
    if (!this.answered) this.set(undefined);
  }

  private readonly onProvider = (ev: Event): void => {
    if ((ev as Event & { context?: unknown }).context !== vmContext) return;
    // Only re-ask if the new provider could be ours: it must contain us.
    const target = (ev as Event & { contextTarget?: Element }).contextTarget ?? ev.composedPath()[0];
    if (target instanceof Node && containsAcrossShadow(target, this.el)) this.request();
  };

  /** Stable identity, so providers (and any ContextRoot) deduplicate our subscriptions. */
  private readonly callback = (value: VmHost | undefined, unsubscribe?: () => void): void => {
    this.answered = true;
    if (this.unsubscribe && this.unsubscribe !== unsubscribe) this.unsubscribe();
    this.unsubscribe = unsubscribe;
    this.set(value);
  };

  private set(vm: VmHost | undefined): void {
    if (vm === this.vm) return;
    const old = this.vm;
    this.vm = vm;
    this.onChange(vm, old);
  }
}

/** `outer` contains `inner` in the composed tree (through shadow roots). */
function containsAcrossShadow(outer: Node, inner: Node): boolean {
  for (let n: Node | null = inner; n; n = n.parentNode ?? (n instanceof ShadowRoot ? n.host : null)) {
    if (n === outer) return true;
  }
  return false;
}
