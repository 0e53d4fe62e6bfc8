// Generates the component package's Python SDK from its schema (test/unit/component-schema.json) with
// Pulumi's own code generator, as `pulumi package add` does, so that the Python example can be
// checked against it without the Pulumi CLI. Usage: sdkgen SCHEMA.json OUT-DIR
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages loads no other package: the component's schema refers to none.
type noPackages struct{}

var errNoPackages = errors.New("the schema refers to another package; this generator loads none")

func (noPackages) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoPackages
}
func (noPackages) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoPackages
}
func (noPackages) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoPackages
}
func (noPackages) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoPackages
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen SCHEMA.json OUT-DIR")
		os.Exit(2)
	}
	text, err := os.ReadFile(os.Args[1])
	check(err)
	var spec schema.PackageSpec
	check(json.Unmarshal(text, &spec))
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	check(err)
	if diags.HasErrors() {
		check(diags)
	}
	files, err := python.GeneratePackage("pulumi", pkg, nil, noPackages{})
	check(err)
	for name, content := range files {
		path := filepath.Join(os.Args[2], name)
		check(os.MkdirAll(filepath.Dir(path), 0o755))
		check(os.WriteFile(path, content, 0o644))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
