// Command acmesolver answers one ACME HTTP-01 challenge: cert-manager starts it in a pod with the
// flags below and routes /.well-known/acme-challenge/<token> of the domain to it through an Ingress.
package main

import (
	"flag"
	"os"

	"github.com/cert-manager/cert-manager/pkg/issuer/acme/http/solver"
	"github.com/go-logr/logr/funcr"
)

func main() {
	s := &solver.HTTP01Solver{}
	flag.IntVar(&s.ListenPort, "listen-port", 8089, "port to listen on")
	flag.StringVar(&s.Domain, "domain", "", "domain of the challenge")
	flag.StringVar(&s.Token, "token", "", "challenge token")
	flag.StringVar(&s.Key, "key", "", "challenge key")
	flag.Parse()
	log := funcr.New(func(prefix, args string) { os.Stdout.WriteString(prefix + args + "\n") }, funcr.Options{})
	if err := s.Listen(log); err != nil {
		log.Error(err, "solver stopped")
		os.Exit(1)
	}
}
