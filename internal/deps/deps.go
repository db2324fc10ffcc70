//go:build tools

// Package deps pins the module's dependencies while the packages that import
// them are being written; it is never built.
package deps

import (
	_ "github.com/Masterminds/semver/v3"
	_ "github.com/bmatcuk/doublestar/v4"
	_ "github.com/go-git/go-git/v5"
	_ "github.com/mattn/go-shellwords"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/spf13/cobra"
	_ "go.mongodb.org/mongo-driver/v2/mongo"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/term"
)
