// Command testcontrol is a test fixture of the project's own: it runs Tailscale's real control
// server (tailscale.com/tstest/integration/testcontrol, v1.102.5) on loopback for the control
// client's tests. It imports the package as a module and copies no code from it.
//
//	testcontrol -derp-host 127.0.0.1 -derp-port P [-stun-port S] [-authkey K | -interactive] [-machine-auth]
//
// It prints "URL http://127.0.0.1:PORT" on stdout once it listens. What it adds to testcontrol:
//   - a DERP map with one region (1, "test") pointing at the real derper the tests started
//     (plain HTTP, so peers run with TS_DEBUG_USE_DERP_HTTP=1), with its STUN port when -stun-port is given;
//   - -authkey: every registration must carry that key (testcontrol's RequireAuthKey), a wrong
//     one gets RegisterResponse.Error "invalid authkey";
//   - -interactive: registration answers an AuthURL (testcontrol's RequireAuth); a GET on that
//     URL completes it (testcontrol.CompleteAuth), as a user's visit to the login page would;
//   - CORS headers on every answer, because a page fetches GET /key with fetch() (CheerpX's
//     docs ask the same of Headscale deployments);
//   - MagicDNS: domain "tail.test" and the DNS config that turns it on;
//   - -expire-after D: after D, SetExpireAllNodes(true) marks every node key expired;
//   - test hooks on the plain HTTP listener (loopback only), each a testcontrol method:
//     POST /test/rawmap?node=K    body: a MapResponse (JSON) sent to K as is (AddRawMapResponse:
//     K gets no automatic map responses afterwards, so a PacketFilter sent this way stays);
//     POST /test/ping?node=K      body: a PingRequest (JSON) queued for K (AddPingRequest);
//     POST /test/c2n?node=K&path=P  body: sent to K as "POST P" over c2n (SendC2N); answers
//     "<status>\n<body>" of K's c2n answer, or 504 after 30 s;
//     POST /test/routes?node=K    body: a JSON list of prefixes K routes (SetSubnetRoutes; with
//     0.0.0.0/0 and ::/0 K is an exit node for its peers);
//     any /test/hit/T             records the method and body of the request under T;
//     GET /test/hits/T            answers what /test/hit/T recorded, one JSON object a line.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"tailscale.com/tailcfg"
	"tailscale.com/tstest/integration/testcontrol"
	"tailscale.com/types/key"
)

func main() {
	derpHost := flag.String("derp-host", "127.0.0.1", "host name of the DERP server")
	derpPort := flag.Int("derp-port", 0, "port of the DERP server (plain HTTP)")
	stunPort := flag.Int("stun-port", -1, "the DERP server's STUN port (-1: none)")
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
				DERPPort: *derpPort, STUNPort: *stunPort, InsecureForTests: true,
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
		if strings.HasPrefix(r.URL.Path, "/test/") {
			serveTest(ctl, w, r)
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

var (
	hitsMu sync.Mutex
	hits   = map[string][]string{}
)

// serveTest answers the /test/ hooks (see the package comment).
func serveTest(ctl *testcontrol.Server, w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/test/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if token, ok := strings.CutPrefix(path, "hit/"); ok {
		line, _ := json.Marshal(map[string]string{"method": r.Method, "body": string(body)})
		hitsMu.Lock()
		hits[token] = append(hits[token], string(line))
		hitsMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if token, ok := strings.CutPrefix(path, "hits/"); ok {
		hitsMu.Lock()
		for _, l := range hits[token] {
			fmt.Fprintln(w, l)
		}
		hitsMu.Unlock()
		return
	}
	var nk key.NodePublic
	if err := nk.UnmarshalText([]byte(r.URL.Query().Get("node"))); err != nil {
		http.Error(w, "node: "+err.Error(), http.StatusBadRequest)
		return
	}
	switch path {
	case "rawmap":
		var mr tailcfg.MapResponse
		if err := json.Unmarshal(body, &mr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ctl.AddRawMapResponse(nk, &mr) {
			http.Error(w, "node not connected", http.StatusNotFound)
		}
	case "ping":
		var pr tailcfg.PingRequest
		if err := json.Unmarshal(body, &pr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !ctl.AddPingRequest(nk, &pr) {
			http.Error(w, "node not connected", http.StatusNotFound)
		}
	case "routes":
		var routes []netip.Prefix
		if err := json.Unmarshal(body, &routes); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctl.SetSubnetRoutes(nk, routes)
	case "c2n":
		req, err := http.NewRequest("POST", "http://node"+r.URL.Query().Get("path"), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got := make(chan *http.Response, 1)
		if err := ctl.SendC2N(nk, req, func(res *http.Response) { got <- res }); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		select {
		case res := <-got:
			b, _ := io.ReadAll(res.Body)
			fmt.Fprintf(w, "%d\n%s", res.StatusCode, b)
		case <-time.After(30 * time.Second):
			http.Error(w, "no c2n answer within 30 s", http.StatusGatewayTimeout)
		}
	default:
		http.Error(w, "unknown test hook", http.StatusNotFound)
	}
}
