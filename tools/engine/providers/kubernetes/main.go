// Command pulumi-resource-kubernetes serves the upstream Kubernetes provider. The upstream main
// package embeds a generated schema that module zips lack; build.sh copies the schema from the
// module cache next to this file in a scratch copy before building.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
