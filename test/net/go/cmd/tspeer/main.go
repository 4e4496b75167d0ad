// Command tspeer is a test fixture of the project's own: a real Tailscale node
// (tailscale.com/tsnet, v1.102.5, the same engine as tailscaled with a userspace netstack)
// that joins the test tailnet and gives the tests something to talk to:
//
//	tspeer -control URL -authkey K -dir DIR -hostname NAME [-port 80]
//
// It serves HTTP on its tailnet address at -port: "GET /" answers "hello from NAME\n",
// "GET /fetch?url=U" fetches U through the tailnet and answers its body (so the VM's server
// can be reached from a real peer). It prints "IP <v4>" on stdout once it is up. Run it with
// TS_DEBUG_USE_DERP_HTTP=1 to reach a derper that serves plain HTTP.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"tailscale.com/tsnet"
)

func main() {
	control := flag.String("control", "", "control server URL")
	authKey := flag.String("authkey", "", "auth key")
	dir := flag.String("dir", "", "state directory")
	hostname := flag.String("hostname", "tspeer", "host name")
	port := flag.Int("port", 80, "HTTP port on the tailnet address")
	verbose := flag.Bool("v", false, "log tsnet")
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
		res, err := client.Get(r.URL.Query().Get("url"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer res.Body.Close()
		w.WriteHeader(res.StatusCode)
		io.Copy(w, res.Body)
	})
	fmt.Printf("IP %s\n", st.TailscaleIPs[0])
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, mux))
}
