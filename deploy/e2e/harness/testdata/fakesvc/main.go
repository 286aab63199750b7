// Command fakesvc stands in for a Yizhan service in the harness's own tests:
// it serves /healthz on -addr and exits 0 on SIGTERM, or ignores SIGTERM
// with -ignore-term.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	ignoreTerm := flag.Bool("ignore-term", false, "ignore SIGTERM")
	flag.Parse()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	go func() {
		if err := http.ListenAndServe(*addr, nil); err != nil {
			fmt.Fprintln(os.Stderr, "fakesvc:", err)
			os.Exit(2)
		}
	}()
	fmt.Println("fakesvc: listening on", *addr)
	for range sig {
		if !*ignoreTerm {
			fmt.Println("fakesvc: stopping")
			return
		}
		fmt.Println("fakesvc: ignoring SIGTERM")
	}
}
