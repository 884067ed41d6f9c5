// Command web is the app the real-node tests run: it answers every path with a page naming its version
// and prints one line per request on stdout, so a test can see a real container's log. /healthz is its
// readiness probe; READY=false makes it fail (a rollout that must be rolled back).
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	version := os.Getenv("VERSION")
	ready := os.Getenv("READY") != "false"
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("web %s served %s %s\n", version, r.Method, r.URL.Path)
		fmt.Fprintf(w, "kli8nt test web %s\n", version)
	})
	fmt.Printf("web %s listening on :%s\n", version, port)
	if err := http.ListenAndServe(":"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
