// Package ext stands in for Traefik's dynamic-configuration extension module, a nested module of the
// traefik repository that the Go module proxy does not serve (Traefik maps it with a local replace line,
// which the go command ignores in a dependency). The open-source build uses empty extensions.
package ext

// HTTP extends dynamic.HTTP.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// RouterIng extends the ingress provider's router annotations.
type RouterIng struct{}

// ToRouter converts the ingress annotations' extension into a router extension.
func (r RouterIng) ToRouter() Router { return Router{} }
