// Command testcontrol is a test fixture of the project's own: it runs Tailscale's real control
// server (tailscale.com/tstest/integration/testcontrol, v1.102.5) on loopback for the control
// client's tests. It imports the package as a module and copies no code from it.
//
//	testcontrol -derp-host 127.0.0.1 -derp-port P [-authkey K | -interactive] [-machine-auth]
//
// It prints "URL http://127.0.0.1:PORT" on stdout once it listens. What it adds to testcontrol:
//   - a DERP map with one region (1, "test") pointing at the real derper the tests started
//     (plain HTTP, so peers run with TS_DEBUG_USE_DERP_HTTP=1);
//   - -authkey: every registration must carry that key (testcontrol's RequireAuthKey), a wrong
//     one gets RegisterResponse.Error "invalid authkey";
//   - -interactive: registration answers an AuthURL (testcontrol's RequireAuth); a GET on that
//     URL completes it (testcontrol.CompleteAuth), as a user's visit to the login page would;
//   - CORS headers on every answer, because a page fetches GET /key with fetch() (CheerpX's
//     docs ask the same of Headscale deployments);
//   - MagicDNS: domain "tail.test" and the DNS config that turns it on;
//   - -expire-after D: after D, SetExpireAllNodes(true) marks every node key expired.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/tstest/integration/testcontrol"
)

func main() {
	derpHost := flag.String("derp-host", "127.0.0.1", "host name of the DERP server")
	derpPort := flag.Int("derp-port", 0, "port of the DERP server (plain HTTP)")
	authKey := flag.String("authkey", "", "the auth key every registration must carry")
	interactive := flag.Bool("interactive", false, "answer registrations with an AuthURL")
	machineAuth := flag.Bool("machine-auth", false, "nodes need machine authorization")
	expireAfter := flag.Duration("expire-after", 0, "mark all node keys expired after this long")
	verbose := flag.Bool("v", false, "log requests")
	flag.Parse()
	if *derpPort == 0 {
		log.Fatal("testcontrol: -derp-port is required")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctl := &testcontrol.Server{
		ExplicitBaseURL:    base,
		RequireAuthKey:     *authKey,
		RequireAuth:        *interactive,
		RequireMachineAuth: *machineAuth,
		AllNodesSameUser:   true,
		AllOnline:          true,
		Verbose:            *verbose,
		MagicDNSDomain:     "tail.test",
		DNSConfig: &tailcfg.DNSConfig{
			Proxied: true,
			Domains: []string{"tail.test"},
		},
		DERPMap: &tailcfg.DERPMap{Regions: map[int]*tailcfg.DERPRegion{
			1: {RegionID: 1, RegionCode: "test", RegionName: "Test", Nodes: []*tailcfg.DERPNode{{
				Name: "1a", RegionID: 1, HostName: *derpHost, IPv4: *derpHost, IPv6: "none",
				DERPPort: *derpPort, STUNPort: -1, InsecureForTests: true,
			}}},
		}},
	}
	if *expireAfter > 0 {
		time.AfterFunc(*expireAfter, func() { ctl.SetExpireAllNodes(true) })
	}

	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		if r.Method == "OPTIONS" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/auth/") {
			if ctl.CompleteAuth(r.URL.Path) {
				fmt.Fprintln(w, "login complete")
			} else {
				http.Error(w, "unknown auth path", http.StatusNotFound)
			}
			return
		}
		ctl.ServeHTTP(w, r)
	})
	fmt.Printf("URL %s\n", base)
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, mux))
}
