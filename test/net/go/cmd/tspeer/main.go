// Command tspeer is a test fixture of the project's own: a real Tailscale node
// (tailscale.com/tsnet, v1.102.5, the same engine as tailscaled with a userspace netstack)
// that joins the test tailnet and gives the tests something to talk to:
//
//	tspeer -control URL -authkey K -dir DIR -hostname NAME [-port 80]
//
// It serves HTTP on its tailnet address at -port: "GET /" answers "hello from NAME\n",
// "GET /fetch?url=U" fetches U through the tailnet and answers its body (so the VM's server
// can be reached from a real peer). For bulk transfers and the bench: "GET /bytes?n=N" answers
// N pseudo-random bytes with their sha256 in X-Sha256; "POST /sha256" answers "<bytes> <sha256
// hex>" of the body; "GET /sink?url=U" fetches U through the tailnet and answers "<bytes>
// <seconds> <sha256 hex>"; "GET /push?url=U&n=N" POSTs N pseudo-random bytes to U and answers
// "<bytes> <seconds> <U's answer>"; "GET /ping?ip=A" sends a Tailscale ICMP ping (an echo
// request through the tunnel, as `tailscale ping --icmp` does) and answers "pong <ip> <type>
// endpoint=… derp=… peerapi=… latency=…"; "&type=TSMP|disco|peerapi" pings that way instead
// (`tailscale ping --tsmp/--disco/--peerapi`). "GET /status" answers one line per peer from
// LocalClient.Status: "<hostname> cur=<CurAddr> relay=<DERP region> rx=… tx=…" (CurAddr set
// when the path is direct UDP, as `tailscale status` shows). It prints "IP <v4>" on stdout once it is up. Run it with
// TS_DEBUG_USE_DERP_HTTP=1 to reach a derper that serves plain HTTP (and
// TS_DEBUG_ALWAYS_USE_DERP=1 to keep two tspeers on the same machine from finding a direct path).
// "/fetch" takes an optional "timeout" (a Go duration). With -exit-node it advertises 0.0.0.0/0
// and ::/0 (control must still approve them: testcontrol's /test/routes), so its peerapi answers
// DNS over HTTPS at /dns-query with the resolver in its /etc/resolv.conf. It prints
// "KEY nodekey:…" before "IP".
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"

	"tailscale.com/ipn"
	"tailscale.com/tailcfg"
	"tailscale.com/tsnet"
)

func main() {
	control := flag.String("control", "", "control server URL")
	authKey := flag.String("authkey", "", "auth key")
	dir := flag.String("dir", "", "state directory")
	hostname := flag.String("hostname", "tspeer", "host name")
	port := flag.Int("port", 80, "HTTP port on the tailnet address")
	verbose := flag.Bool("v", false, "log tsnet")
	exitNode := flag.Bool("exit-node", false, "advertise 0.0.0.0/0 and ::/0")
	flag.Parse()

	s := &tsnet.Server{ControlURL: *control, AuthKey: *authKey, Dir: *dir, Hostname: *hostname, Ephemeral: true}
	if !*verbose {
		s.Logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	st, err := s.Up(ctx)
	cancel()
	if err != nil {
		log.Fatalf("tspeer: up: %v", err)
	}
	ln, err := s.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	client := s.HTTPClient()
	client.Timeout = 30 * time.Second
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", *hostname)
	})
	mux.HandleFunc("/fetch", func(w http.ResponseWriter, r *http.Request) {
		// Not r.Context(): the tests half-close their request, which cancels it.
		ctx := context.Background()
		if t, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t)
			defer cancel()
		}
		req, err := http.NewRequestWithContext(ctx, "GET", r.URL.Query().Get("url"), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		data := randomBytes(r.URL.Query().Get("n"))
		sum := sha256.Sum256(data)
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.Header().Set("X-Sha256", hex.EncodeToString(sum[:]))
		w.Write(data)
	})
	mux.HandleFunc("/sha256", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		n, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %x\n", n, h.Sum(nil))
	})
	bulk := &http.Client{Transport: client.Transport} // no overall timeout: 100 MB through DERP takes a while
	mux.HandleFunc("/sink", func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		res, err := bulk.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		h := sha256.New()
		n, err := io.Copy(h, res.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "%d %.6f %x\n", n, time.Since(t0).Seconds(), h.Sum(nil))
	})
	mux.HandleFunc("/push", func(w http.ResponseWriter, r *http.Request) {
		data := randomBytes(r.URL.Query().Get("n"))
		t0 := time.Now()
		res, err := bulk.Post(r.URL.Query().Get("url"), "application/octet-stream", bytes.NewReader(data))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		fmt.Fprintf(w, "%d %.6f %s", len(data), time.Since(t0).Seconds(), body)
	})
	lc, err := s.LocalClient()
	if err != nil {
		log.Fatal(err)
	}
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		ip, err := netip.ParseAddr(r.URL.Query().Get("ip"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second) // not r.Context(): see /fetch
		defer cancel()
		kind := tailcfg.PingICMP
		if t := r.URL.Query().Get("type"); t != "" {
			kind = tailcfg.PingType(t)
		}
		res, err := lc.Ping(ctx, ip, kind)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if res.Err != "" {
			http.Error(w, res.Err, http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, "pong %s %s endpoint=%q derp=%d peerapi=%q latency=%.6f\n", res.NodeIP, kind, res.Endpoint, res.DERPRegionID, res.PeerAPIURL, res.LatencySeconds)
	})
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		st, err := lc.Status(context.Background())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for _, p := range st.Peer {
			fmt.Fprintf(w, "%s cur=%q relay=%q rx=%d tx=%d\n", p.HostName, p.CurAddr, p.Relay, p.RxBytes, p.TxBytes)
		}
	})
	if *exitNode {
		_, err := lc.EditPrefs(context.Background(), &ipn.MaskedPrefs{
			Prefs:              ipn.Prefs{AdvertiseRoutes: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}},
			AdvertiseRoutesSet: true,
		})
		if err != nil {
			log.Fatalf("tspeer: advertising an exit node: %v", err)
		}
	}
	fmt.Printf("KEY %s\n", st.Self.PublicKey)
	fmt.Printf("IP %s\n", st.TailscaleIPs[0])
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, mux))
}

// randomBytes returns n (a decimal string) pseudo-random bytes: incompressible, cheap to make.
func randomBytes(n string) []byte {
	size, err := strconv.Atoi(n)
	if err != nil || size < 0 {
		size = 0
	}
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{})
	rng.Read(data)
	return data
}
