package main

import (
	"bufio"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	md := "text\n```console\n$ relmig a\nout 1\nout 2\n$ relmig b\n$ ls\nnot shown\n```\n\n   ```console\n   $ relmig c --x\n   ...\n   ```\n$ relmig outside\n"
	exs, err := parse(bufio.NewScanner(strings.NewReader(md)))
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 3 || exs[0].cmd != "relmig a" || strings.Join(exs[0].want, "|") != "out 1|out 2" ||
		exs[1].cmd != "relmig b" || len(exs[1].want) != 0 || exs[2].cmd != "relmig c --x" || strings.Join(exs[2].want, "|") != "..." {
		t.Fatalf("parsed %+v", exs)
	}
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		same      bool
	}{
		{"a\nb\n", "a\nb\n", true},
		{"a\nb\n", "a\nc\n", false},
		{"a\n...\nz\n", "a\nb\nc\nz\n", true},
		{"a\n...\nz\n", "a\nz\n", true},
		{"a\n...\nz\n", "a\nb\n", false},
		{"...\n", "", true},
		{"{\n    ...\n}\n", "{\n  \"a\": 1,\n  \"b\": 2\n}\n", true},
		{"a\n", "a\nmore\n", false},
		{"run 20261122T040603Z-ebc3d0912ea68fda: 10 migrations\n", "run 20270101T000000Z-0123456789abcdef: 10 migrations\n", true},
		{"succeeded x in 253ms\n", "succeeded x in 1.2s\n", true},
		{"last run 2026-11-22 04:06 ok\n", "last run 2030-01-02 13:14 ok\n", true},
		{"log: /home/u/.cache/relmig/logs/a.log\n", "log: /tmp/x/cache/relmig/logs/b.log\n", true},
		{"NAME   STATUS\nabc    ok\n", "NAME STATUS\nabc  ok\n", true},
		{"BY\nops@vm\n", "BY\nroot@build-7\n", true},
		{"10 migrations to v2.0.1\n", "10 migrations to v2.0.2\n", false},
	} {
		if got := compare(tc.want, tc.got) == ""; got != tc.same {
			t.Errorf("compare(%q, %q) same = %v, want %v", tc.want, tc.got, got, tc.same)
		}
	}
}
