// Package netfixtures holds the Go test fixtures of webx86's network tests: the real Tailscale
// components (derper, testcontrol, tailscaled, tailscale) built from the tailscale.com module at
// the pinned version, plus small programs of the project's own under cmd/. The product itself
// is TypeScript and needs no Go; a machine without Go skips the tests that need these.
package netfixtures

import (
	_ "tailscale.com/tsnet"
	_ "tailscale.com/tstest/integration/testcontrol"
)
