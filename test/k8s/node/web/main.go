// Command web is the app the real-node tests run: it answers every path with a page naming its version
// and prints one line per request on stdout, so a test can see a real container's log. /healthz is its
// readiness probe. READY=false makes it run without ever listening, so both an HTTP and a TCP probe fail
// (a rollout that must be rolled back).
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	version := os.Getenv("VERSION")
	if os.Getenv("READY") == "false" {
		fmt.Printf("web %s never ready\n", version)
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
		<-stop
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
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
