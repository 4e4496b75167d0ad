// Command filtercheck is a test fixture of the project's own: it runs Tailscale's real packet
// filter (tailscale.com/wgengine/filter, v1.102.5) on packets the test gives it, so the VM's
// filter (src/net/tailscale/filter.ts) can be compared with it verdict for verdict. It imports
// the package as a module and copies no code from it.
//
// Input on stdin, JSON: {"rules": [FilterRule...], "local": ["100.64.0.1/32", ...],
// "caps": {"100.64.0.3": ["cap-name", ...], ...}, "steps": [{"dir": "in"|"out", "hex": "<IP packet>"}, ...]}.
// "caps" is the capability table the filter's CapTestFunc answers from for `cap:` sources (in
// tailscaled, ipnlocal's srcIPHasCapForFilter looks the source's node up in the netmap; the
// empty capability is never held). Output: one line per step,
// "Accept" or "Drop" for "in" (RunIn), "out" for "out" (RunOut, which records UDP flows), then
// a last line "error: <MatchesFromFilterRules error>" or "error: none".
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"net/netip"
	"os"
	"slices"

	"go4.org/netipx"
	"tailscale.com/net/packet"
	"tailscale.com/tailcfg"
	"tailscale.com/types/logger"
	"tailscale.com/wgengine/filter"
)

func main() {
	var in struct {
		Rules []tailcfg.FilterRule
		Local []string
		Caps  map[string][]string
		Steps []struct{ Dir, Hex string }
	}
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		log.Fatalf("filtercheck: input: %v", err)
	}
	matches, merr := filter.MatchesFromFilterRules(in.Rules)
	var b netipx.IPSetBuilder
	for _, l := range in.Local {
		b.AddPrefix(netip.MustParsePrefix(l))
	}
	local, err := b.IPSet()
	if err != nil {
		log.Fatal(err)
	}
	hasCap := func(src netip.Addr, c tailcfg.NodeCapability) bool {
		if c == "" {
			return false
		}
		return slices.Contains(in.Caps[src.String()], string(c))
	}
	f := filter.New(matches, hasCap, local, nil, nil, logger.Discard)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, s := range in.Steps {
		raw, err := hex.DecodeString(s.Hex)
		if err != nil {
			log.Fatal(err)
		}
		var q packet.Parsed
		q.Decode(raw)
		if s.Dir == "out" {
			f.RunOut(&q, 0)
			fmt.Fprintln(w, "out")
			continue
		}
		fmt.Fprintln(w, f.RunIn(&q, 0))
	}
	if merr != nil {
		fmt.Fprintf(w, "error: %v\n", merr)
	} else {
		fmt.Fprintln(w, "error: none")
	}
}
