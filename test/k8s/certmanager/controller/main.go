// Command controller runs cert-manager's controllers for ACME certificates of Ingress objects: the
// ingress-shim (Ingress annotation → Certificate), the certificate life cycle, the CertificateRequest
// approver and ACME issuer, orders, challenges (HTTP-01 through the Ingress), issuers and cluster
// issuers. No webhook or cainjector: the test cluster needs neither (its CRDs convert nothing).
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	controller "github.com/cert-manager/cert-manager/pkg/controller"
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
)

var enabled = []string{
	"issuers", "ingress-shim", "orders", "challenges",
	"certificaterequests-approver", "certificaterequests-issuer-acme",
	"certificates-trigger", "certificates-issuing", "certificates-key-manager",
	"certificates-request-manager", "certificates-readiness", "certificates-revision-manager",
}

func main() {
	opts := controller.ContextOptions{KubernetesAPIQPS: 50, KubernetesAPIBurst: 100}
	nameservers := ""
	flag.StringVar(&opts.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster")
	flag.StringVar(&opts.Namespace, "namespace", "", "only this namespace (then no ClusterIssuers)")
	flag.StringVar(&opts.ClusterResourceNamespace, "cluster-resource-namespace", "kube-system", "namespace of ClusterIssuer secrets")
	flag.StringVar(&opts.HTTP01SolverImage, "acme-http01-solver-image", "", "image of the HTTP-01 solver pods")
	flag.StringVar(&nameservers, "acme-http01-solver-nameservers", "", "host:port list for the HTTP-01 self check")
	flag.Parse()
	if opts.HTTP01SolverImage == "" {
		klog.Error("--acme-http01-solver-image is required")
		os.Exit(2)
	}
	if opts.Namespace == "" {
		enabled = append(enabled, "clusterissuers")
	}
	if nameservers != "" {
		opts.HTTP01SolverNameservers = strings.Split(nameservers, ",")
	}
	opts.HTTP01SolverResourceRequestCPU = resource.MustParse("10m")
	opts.HTTP01SolverResourceRequestMemory = resource.MustParse("64Mi")
	opts.HTTP01SolverResourceLimitsCPU = resource.MustParse("100m")
	opts.HTTP01SolverResourceLimitsMemory = resource.MustParse("64Mi")
	opts.ACMEHTTP01SolverRunAsNonRoot = true
	opts.DefaultAutoCertificateAnnotations = []string{"kubernetes.io/tls-acme"}
	opts.DefaultIssuerKind = "Issuer"
	opts.DefaultIssuerGroup = "cert-manager.io"
	opts.MaxConcurrentChallenges = 60

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx = logf.NewContext(ctx, klog.Background())
	if err := run(ctx, opts); err != nil {
		klog.ErrorS(err, "cert-manager controller failed")
		os.Exit(1)
	}
}

func run(ctx context.Context, opts controller.ContextOptions) error {
	factory, err := controller.NewContextFactory(ctx, opts)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, name := range enabled {
		construct, ok := controller.Known()[name]
		if !ok {
			klog.InfoS("controller not registered", "name", name)
			continue
		}
		c, err := construct(factory)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Run(2, ctx); err != nil {
				klog.ErrorS(err, "controller stopped", "name", name)
			}
		}()
	}
	// The informers every controller registered are shared; they start once all are constructed.
	shared, err := factory.Build()
	if err != nil {
		return err
	}
	shared.KubeSharedInformerFactory.Start(ctx.Done())
	shared.SharedInformerFactory.Start(ctx.Done())
	shared.HTTP01ResourceMetadataInformersFactory.Start(ctx.Done())
	klog.InfoS("started cert-manager controllers", "controllers", enabled)
	wg.Wait()
	return nil
}
