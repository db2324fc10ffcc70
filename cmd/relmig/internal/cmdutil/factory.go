package cmdutil

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/relmig/relmig/releasemap"
	"github.com/relmig/relmig/runner/process"
	"github.com/relmig/relmig/runner/toolchain"
)

// Output formats for --output.
const (
	OutputTable = "table"
	OutputWide  = "wide"
	OutputJSON  = "json"
)

// DefaultMapFile is the map read when neither --map nor RELMIG_MAP is set.
const DefaultMapFile = "releasemap.yaml"

// Factory gives commands their dependencies; tests build one with fake
// streams and environment.
type Factory struct {
	IO *IOStreams
	// Getenv reads the environment (os.Getenv outside tests).
	Getenv func(string) string
	// Environ lists the environment for child processes (os.Environ
	// outside tests).
	Environ func() []string
	// Version is relmig's own version.
	Version string

	// MapPath and Output are set by the root command's persistent flags.
	MapPath string
	Output  string
}

// MapFile returns the map's path: --map, else RELMIG_MAP, else the default.
func (f *Factory) MapFile() string {
	if f.MapPath != "" {
		return f.MapPath
	}
	if p := f.Getenv("RELMIG_MAP"); p != "" {
		return p
	}
	return DefaultMapFile
}

// LoadMap loads the map and checks it as far as planning needs; map
// problems exit with code 2.
func (f *Factory) LoadMap() (*releasemap.Map, *releasemap.Sequence, error) {
	return f.openMap(releasemap.ValidateOptions{Templates: process.Checker{}, Toolchain: toolchain.Checker{}})
}

// LoadRunnableMap is LoadMap for commands that run scripts (up, its dry
// run included): it also refuses what only running needs, such as a
// migration without a command, so that it is never found out during
// --apply.
func (f *Factory) LoadRunnableMap() (*releasemap.Map, *releasemap.Sequence, error) {
	return f.openMap(releasemap.ValidateOptions{Templates: process.Checker{}, Toolchain: toolchain.Checker{}, Runnable: true})
}

func (f *Factory) openMap(opts releasemap.ValidateOptions) (*releasemap.Map, *releasemap.Sequence, error) {
	m, s, err := releasemap.Open(f.MapFile(), opts)
	if err != nil {
		return nil, nil, BadInput(err)
	}
	return m, s, nil
}

// JSON reports whether --output json was asked for.
func (f *Factory) JSON() bool { return f.Output == OutputJSON }

// CheckOutput validates --output.
func (f *Factory) CheckOutput() error {
	switch f.Output {
	case OutputTable, OutputWide, OutputJSON:
		return nil
	}
	return Usagef("--output %q: want table, wide or json", f.Output)
}

// TableWidth is the width tables must fit: the terminal's, or 0 (no limit)
// with --output wide or when stdout is not a terminal.
func (f *Factory) TableWidth() int {
	if f.Output == OutputWide {
		return 0
	}
	return f.IO.Width
}

// WriteJSON writes v as one indented JSON document.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// ParseVersionArg parses a version given on the command line; name is the
// argument's name in messages.
func ParseVersionArg(name, s, prefix string) (releasemap.Version, error) {
	v, err := releasemap.ParseVersion(s, prefix)
	if err != nil {
		return v, BadInput(fmt.Errorf("%s: %w (want a semver version such as v1.2.3, or unreleased)", name, err))
	}
	return v, nil
}
