package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/relmig/relmig/cmd/relmig/internal/cmdutil"
	"github.com/relmig/relmig/cmd/relmig/internal/root"
	"github.com/relmig/relmig/internal/testdb"
	"github.com/relmig/relmig/releasemap"
)

// The Kubernetes manifests of deploy/kubernetes, as far as the test reads
// them.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name         string `yaml:"name"`
		GenerateName string `yaml:"generateName"`
	} `yaml:"metadata"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		BackoffLimit *int `yaml:"backoffLimit"`
		Template     struct {
			Spec k8sPod `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sPod struct {
	RestartPolicy   string         `yaml:"restartPolicy"`
	SecurityContext k8sSecurity    `yaml:"securityContext"`
	InitContainers  []k8sContainer `yaml:"initContainers"`
	Containers      []k8sContainer `yaml:"containers"`
	Volumes         []struct {
		Name string `yaml:"name"`
	} `yaml:"volumes"`
}

type k8sSecurity struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
}

type k8sContainer struct {
	Name       string   `yaml:"name"`
	Image      string   `yaml:"image"`
	Command    []string `yaml:"command"`
	Args       []string `yaml:"args"`
	WorkingDir string   `yaml:"workingDir"`
	Env        []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	SecurityContext k8sSecurity `yaml:"securityContext"`
	VolumeMounts    []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

// relmigContainer is one container of the manifests that runs relmig.
type relmigContainer struct {
	file, kind string
	pod        k8sPod
	c          k8sContainer
}

func (r relmigContainer) String() string { return r.file + ": " + r.kind + " " + r.c.Name }

// loadManifests reads every object of deploy/kubernetes/*.yaml.
func loadManifests(t *testing.T) (containers []relmigContainer, secrets map[string]map[string]string, objs map[string][]k8sObject) {
	t.Helper()
	rootDir, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(rootDir, "deploy", "kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes (%v)", err)
	}
	secrets = map[string]map[string]string{}
	objs = map[string][]k8sObject{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(false)
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			base := filepath.Base(file)
			objs[base] = append(objs[base], o)
			if o.Kind == "Secret" {
				secrets[o.Metadata.Name] = o.StringData
			}
			pod := o.Spec.Template.Spec
			for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
				if len(c.Command) == 0 && len(c.Args) > 0 {
					t.Errorf("%s: container %s sets args but no command: the image's own entrypoint would receive %q", base, c.Name, c.Args)
				}
				if len(c.Command) > 0 && path.Base(c.Command[0]) == "relmig" {
					containers = append(containers, relmigContainer{file: base, kind: o.Kind, pod: pod, c: c})
				}
			}
		}
	}
	if len(containers) < 2 {
		t.Fatalf("found %d containers that run relmig, want the Job's and the init container's", len(containers))
	}
	return containers, secrets, objs
}

// exampleMap is the demo's map, the one the README and the manifests are
// written for.
func exampleMap(t *testing.T) (file string, m *releasemap.Map) {
	t.Helper()
	rootDir, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(rootDir, "scripts", "demo", "mkapp", "app", "releasemap.yaml")
	m, err = releasemap.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return file, m
}

// TestManifestsAsWritten checks what Kubernetes would do with the
// manifests that a reading of them can tell: a name per upgrade, command
// set, a pod that runs whatever the image's user, every variable the example
// map needs.
func TestManifestsAsWritten(t *testing.T) {
	containers, secrets, objs := loadManifests(t)
	for file, list := range objs {
		for _, o := range list {
			if o.Kind == "Job" {
				if o.Metadata.Name != "" || o.Metadata.GenerateName == "" {
					t.Errorf("%s: the Job has a fixed name %q: the next upgrade could not create it again (use generateName)", file, o.Metadata.Name)
				}
				if o.Spec.BackoffLimit == nil || *o.Spec.BackoffLimit != 0 {
					t.Errorf("%s: the Job needs backoffLimit: 0 (a failed migration must not be re-run blindly)", file)
				}
			}
		}
	}
	_, m := exampleMap(t)
	need := []string{"MONGODB_URI"}
	for _, g := range slices.Concat(m.Unreleased, func() []releasemap.Migration {
		var all []releasemap.Migration
		for _, r := range m.Releases {
			all = append(all, r.Migrations...)
		}
		return all
	}()) {
		need = append(need, g.Requires.Env...)
	}
	for _, rc := range containers {
		nonRoot := rc.c.SecurityContext.RunAsNonRoot
		if nonRoot == nil {
			nonRoot = rc.pod.SecurityContext.RunAsNonRoot
		}
		user := rc.c.SecurityContext.RunAsUser
		if user == nil {
			user = rc.pod.SecurityContext.RunAsUser
		}
		if nonRoot != nil && *nonRoot && (user == nil || *user == 0) {
			t.Errorf("%s: runAsNonRoot without a runAsUser: an image whose USER is root is refused", rc)
		}
		vols := map[string]bool{}
		for _, v := range rc.pod.Volumes {
			vols[v.Name] = true
		}
		mounts := map[string]bool{}
		for _, vm := range rc.c.VolumeMounts {
			if !vols[vm.Name] {
				t.Errorf("%s: mounts volume %q, which the pod does not have", rc, vm.Name)
			}
			mounts[vm.MountPath] = true
		}
		env := containerEnv(t, rc, secrets)
		for _, name := range need {
			if _, ok := env[name]; !ok {
				t.Errorf("%s: %s is not set, but the example map needs it", rc, name)
			}
		}
		if ro := rc.c.SecurityContext.ReadOnlyRootFilesystem; ro != nil && *ro {
			if c := env["XDG_CACHE_HOME"]; c == "" || !mounts[c] {
				t.Errorf("%s: a read-only root file system needs XDG_CACHE_HOME on a mounted volume (got %q)", rc, c)
			}
		}
	}
}

// containerEnv returns the container's environment as Kubernetes would set
// it: envFrom secrets, then env.
func containerEnv(t *testing.T, rc relmigContainer, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range rc.c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		s, ok := secrets[ef.SecretRef.Name]
		if !ok {
			t.Errorf("%s: envFrom names Secret %q, which deploy/kubernetes does not define", rc, ef.SecretRef.Name)
		}
		for k, v := range s {
			env[k] = v
		}
	}
	for _, e := range rc.c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			v, ok := secrets[ref.Name][ref.Key]
			if !ok {
				t.Errorf("%s: %s names key %q of Secret %q, which deploy/kubernetes does not define", rc, e.Name, ref.Key, ref.Name)
			}
			env[e.Name] = v
		default:
			env[e.Name] = e.Value
		}
	}
	return env
}

// TestManifestsRun runs the exact command and arguments of every relmig
// container of the manifests, without --apply (a dry run), against the
// development server with the example map, in the environment the
// manifests give (the Secret's values pointed at the test's database and a
// stand-in Redis; absolute paths moved into a test folder). Each must exit 0
// with every requirement met. The init container, run as an older release's
// replica after the database moved on, must exit 0 too (--ahead-ok).
func TestManifestsRun(t *testing.T) {
	containers, secrets, _ := loadManifests(t)
	mapFile, exMap := exampleMap(t)
	redis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer redis.Close()
	go func() {
		for {
			c, err := redis.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, redisPort, _ := net.SplitHostPort(redis.Addr().String())

	for _, rc := range containers {
		t.Run(rc.file+"/"+rc.c.Name, func(t *testing.T) {
			uri, _ := testdb.URIWithDB(t)
			top := t.TempDir()
			move := func(p string) string { return filepath.Join(top, filepath.FromSlash(p)) }
			for k, v := range containerEnv(t, rc, secrets) {
				switch {
				case k == "MONGODB_URI":
					v = uri
				case k == "REDIS_HOST":
					v = "127.0.0.1"
				case k == "REDIS_PORT":
					v = redisPort
				case strings.HasPrefix(v, "/"):
					v = move(v)
					if err := os.MkdirAll(filepath.Dir(v), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				t.Setenv(k, v)
			}
			for _, vm := range rc.c.VolumeMounts {
				if err := os.MkdirAll(move(vm.MountPath), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			m := os.Getenv("RELMIG_MAP")
			if m == "" {
				m = filepath.Join(move(rc.c.WorkingDir), cmdutil.DefaultMapFile)
			}
			copyFile(t, mapFile, m)
			if rc.c.WorkingDir != "" {
				if err := os.MkdirAll(move(rc.c.WorkingDir), 0o755); err != nil {
					t.Fatal(err)
				}
				t.Chdir(move(rc.c.WorkingDir))
			}

			dry := slices.DeleteFunc(slices.Clone(rc.c.Args), func(a string) bool { return a == "--apply" })
			code, stdout, stderr := runRelmig(dry)
			if code != 0 || strings.Contains(stderr, "not met:") || strings.Contains(stderr, "relmig: ") {
				t.Fatalf("relmig %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(dry, " "), code, stdout, stderr)
			}
			if slices.Contains(dry, "json") {
				var doc struct {
					DryRun       bool              `json:"dry_run"`
					Plan         []string          `json:"plan"`
					Refusals     []json.RawMessage `json:"refusals"`
					Requirements []json.RawMessage `json:"requirements"`
				}
				if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
					t.Fatalf("stdout is not the up document: %v\n%s", err, stdout)
				}
				if !doc.DryRun || len(doc.Plan) == 0 || len(doc.Refusals) > 0 || len(doc.Requirements) > 0 {
					t.Errorf("dry run document: %+v", doc)
				}
			}
			if !slices.Contains(rc.c.Args, "--ahead-ok") {
				return
			}
			// The database is at the manifests' target; a replica of the
			// release before restarts with its own image's arguments.
			to := argAfter(rc.c.Args, "--to")
			if code, _, stderr := runRelmig([]string{"baseline", to, "--reason", "migrated by the new release"}); code != 0 {
				t.Fatalf("baseline %s: exit %d: %s", to, code, stderr)
			}
			prev := ""
			for i, r := range exMap.Releases {
				if r.Version == to && i > 0 {
					prev = exMap.Releases[i-1].Version
				}
			}
			if prev == "" {
				t.Fatalf("--to %s: the example map has no release before it", to)
			}
			older := slices.Clone(rc.c.Args)
			older[slices.Index(older, "--to")+1] = prev
			code, _, stderr = runRelmig(older)
			if code != 0 || !strings.Contains(stderr, "database already holds "+to+", beyond target "+prev+": nothing to do (--ahead-ok)") {
				t.Errorf("older replica: relmig %s: exit %d, stderr:\n%s", strings.Join(older, " "), code, stderr)
			}
			without := slices.DeleteFunc(older, func(a string) bool { return a == "--ahead-ok" })
			if code, _, _ := runRelmig(without); code != cmdutil.ExitRefused {
				t.Errorf("without --ahead-ok the older replica exits %d, want %d (the refusal the flag avoids)", code, cmdutil.ExitRefused)
			}
		})
	}
}

func runRelmig(args []string) (cmdutil.ExitCode, string, string) {
	var out, errOut bytes.Buffer
	streams := &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	code := root.Main(context.Background(), args, streams, os.Getenv, "v0.0.0-test")
	return code, out.String(), errOut.String()
}

func argAfter(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
