// Package ext stands in for Traefik's dynamic-configuration extension module, which lives in the
// Traefik repository as a nested module (pkg/config/dynamic/ext) and is in neither Traefik's module
// zip nor the module proxy. Open-source Traefik's extension types are empty structs inlined into
// dynamic.HTTPConfiguration and dynamic.Router, so they add no field to any CRD schema.
package ext

// HTTP is inlined into dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is inlined into dynamic.Router.
type Router struct{}
