// Command readmecheck is make readme-check's helper. It takes the example
// commands out of README.md with the output each shows, and compares a
// command's real output with the shown one once both are normalised.
//
//	readmecheck extract README.md DIR   writes DIR/N.cmd and DIR/N.want, N = 001…
//	readmecheck compare WANT GOT        exit 1, with a diff, when they differ
//
// A command is a line "$ relmig …" in a ```console block; the lines after
// it, up to the next "$ " line or the end of the block, are its shown
// output. A line "..." (indented or not) stands for any number of lines. Both sides are
// normalised before comparing: run ids, timestamps, durations, hashes,
// record ids, absolute paths and user@host become placeholders, and runs of spaces one
// space (a column's width follows from the lengths of what it holds). A
// command shown without output is run but not compared.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "readmecheck:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 3 && args[0] == "extract":
		return extract(args[1], args[2])
	case len(args) == 3 && args[0] == "compare":
		want, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		got, err := os.ReadFile(args[2])
		if err != nil {
			return err
		}
		if diff := compare(string(want), string(got)); diff != "" {
			return fmt.Errorf("the output differs from the README's:\n%s", diff)
		}
		return nil
	}
	return fmt.Errorf("usage: readmecheck extract README DIR | compare WANT GOT")
}

// example is one command and the output the README shows for it.
type example struct {
	cmd  string
	want []string
}

func extract(readme, dir string) error {
	f, err := os.Open(readme)
	if err != nil {
		return err
	}
	defer f.Close()
	exs, err := parse(bufio.NewScanner(f))
	if err != nil {
		return err
	}
	for i, ex := range exs {
		base := filepath.Join(dir, fmt.Sprintf("%03d", i+1))
		if err := os.WriteFile(base+".cmd", []byte(ex.cmd+"\n"), 0o644); err != nil {
			return err
		}
		want := strings.Join(ex.want, "\n")
		if want != "" {
			want += "\n"
		}
		if err := os.WriteFile(base+".want", []byte(want), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// parse reads the console blocks' commands and their shown output.
func parse(sc *bufio.Scanner) ([]example, error) {
	var exs []example
	in, indent := false, ""
	cur := -1
	for sc.Scan() {
		line := sc.Text()
		trim := strings.TrimLeft(line, " ")
		switch {
		case !in && strings.HasPrefix(trim, "```console"):
			in, indent, cur = true, line[:len(line)-len(trim)], -1
			continue
		case in && strings.HasPrefix(trim, "```"):
			in = false
			continue
		case !in:
			continue
		}
		line = strings.TrimPrefix(line, indent)
		switch {
		case strings.HasPrefix(line, "$ relmig"):
			exs = append(exs, example{cmd: strings.TrimPrefix(line, "$ ")})
			cur = len(exs) - 1
		case strings.HasPrefix(line, "$ "):
			cur = -1 // not relmig's: neither run nor compared
		case cur >= 0:
			exs[cur].want = append(exs[cur].want, line)
		}
	}
	return exs, sc.Err()
}

// The normalisations, in order: what differs from run to run becomes a
// placeholder.
var norms = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{8}T\d{6}Z-[0-9a-f]{16}`), "RUN"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?`), "TIME"},
	{regexp.MustCompile(`\b[0-9a-f]{40,64}\b`), "HASH"},
	{regexp.MustCompile(`\b[0-9a-f]{24}\b`), "RECORD"},
	{regexp.MustCompile(`(/[\w.+@-]+){2,}/?`), "PATH"},
	{regexp.MustCompile(`\b[a-z_][\w.-]*@[\w.-]+\b`), "USER@HOST"},
	{regexp.MustCompile(`\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|us|ms|s)\b`), "DUR"},
	{regexp.MustCompile(`\b\d+h(\d+m)?\b|\b\d+m\b`), "DUR"},
	{regexp.MustCompile(` {2,}`), " "},
}

// normalise applies norms to one line and trims its end.
func normalise(line string) string {
	for _, n := range norms {
		line = n.re.ReplaceAllString(line, n.with)
	}
	return strings.TrimRight(line, " \t")
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	out := strings.Split(s, "\n")
	for i := range out {
		out[i] = normalise(out[i])
	}
	return out
}

// compare returns "" when got matches want ("..." lines match any lines),
// else both sides, normalised.
func compare(want, got string) string {
	w, g := lines(want), lines(got)
	if match(w, g) {
		return ""
	}
	var b strings.Builder
	b.WriteString("--- shown (normalised)\n")
	for _, l := range w {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("--- real (normalised)\n")
	for _, l := range g {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// match reports whether the lines g match the pattern lines w, where a
// "..." line (spaces around it aside) matches zero or more lines (dynamic programming over both).
func match(w, g []string) bool {
	// ok[i][j]: w[i:] matches g[j:].
	ok := make([][]bool, len(w)+1)
	for i := range ok {
		ok[i] = make([]bool, len(g)+1)
	}
	ok[len(w)][len(g)] = true
	for i := len(w) - 1; i >= 0; i-- {
		for j := len(g); j >= 0; j-- {
			if strings.TrimSpace(w[i]) == "..." {
				ok[i][j] = ok[i+1][j] || (j < len(g) && ok[i][j+1])
				continue
			}
			ok[i][j] = j < len(g) && w[i] == g[j] && ok[i+1][j+1]
		}
	}
	return ok[0][0]
}
