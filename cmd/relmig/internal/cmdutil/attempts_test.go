package cmdutil

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/relmig/relmig/history"
	"github.com/relmig/relmig/internal/table"
)

func TestAttemptCells(t *testing.T) {
	code := func(n int) *int { return &n }
	tests := []struct {
		a              history.Attempt
		duration, exit string
	}{
		{history.Attempt{Status: history.Succeeded, DurationMS: 350, ExitCode: code(0)}, "350ms", "0"},
		{history.Attempt{Status: history.Failed, DurationMS: 12345, ExitCode: code(3)}, "12.3s", "3"},
		{history.Attempt{Status: history.Interrupted, DurationMS: 125_400, Signal: "SIGTERM"}, "2m5s", "SIGTERM"},
		{history.Attempt{Status: history.Failed, Reason: "marked by hand"}, "-", "-"},
		{history.Attempt{Status: history.Running}, "-", "-"},
		{history.Attempt{Status: history.Baselined}, "-", "-"},
	}
	for _, tt := range tests {
		if got := Duration(tt.a); got != tt.duration {
			t.Errorf("%+v: duration %q, want %q", tt.a, got, tt.duration)
		}
		if got := Exit(tt.a); got != tt.exit {
			t.Errorf("%+v: exit %q, want %q", tt.a, got, tt.exit)
		}
	}
}

func TestTruncate(t *testing.T) {
	if got := table.Truncate("short", 10); got != "short" {
		t.Errorf("got %q", got)
	}
	if got := table.Truncate("line one\nline   two", 40); got != "line one line two" {
		t.Errorf("got %q", got)
	}
	if got := table.Truncate("ééééééééééé", 5); got != "éééé…" {
		t.Errorf("got %q", got)
	}
}

func TestWriteAttempts(t *testing.T) {
	var out bytes.Buffer
	at := time.Date(2024, 5, 1, 2, 3, 4, 0, time.UTC)
	err := WriteAttempts(&out, []history.Attempt{{
		StartedAt: at, Migration: "a.js", Release: "v1.0.0", Status: history.Skipped, RunID: "r1",
		By: history.Actor{User: "ops", Host: "bastion"}, Reason: "not\nneeded",
	}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "STARTED              MIGRATION  RELEASE  STATUS   DURATION  EXIT  RUN  BY           REASON\n" +
		"2024-05-01 02:03:04  a.js       v1.0.0   skipped  -         -     r1   ops@bastion  not needed\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), " \n") {
		t.Error("trailing blanks")
	}
}
