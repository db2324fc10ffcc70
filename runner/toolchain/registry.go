package toolchain

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// maxMetadata bounds a package's metadata document; pnpm's, with every
// version, is a few megabytes.
const maxMetadata = 256 << 20

// packument is the registry's metadata document for one package, in the
// abbreviated form npm install asks for.
type packument struct {
	Name     string              `json:"name"`
	Versions map[string]manifest `json:"versions"`
}

// manifest is one version of a package, as the registry describes it.
type manifest struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Bin     json.RawMessage `json:"bin"`
	Engines json.RawMessage `json:"engines"`
	Dist    struct {
		Tarball   string `json:"tarball"`
		Integrity string `json:"integrity"`
		Shasum    string `json:"shasum"`
	} `json:"dist"`
}

// bins returns the executables the package declares, name → slash path
// inside the package. A string bin is named after the package.
func (m manifest) bins() (map[string]string, error) {
	out := map[string]string{}
	if len(m.Bin) == 0 || string(m.Bin) == "null" {
		return out, nil
	}
	var one string
	if json.Unmarshal(m.Bin, &one) == nil {
		name := m.Name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		}
		out[name] = one
		return out, nil
	}
	if err := json.Unmarshal(m.Bin, &out); err != nil {
		return nil, fmt.Errorf("%s@%s: bin: %w", m.Name, m.Version, err)
	}
	return out, nil
}

// enginesNode returns the package's engines.node range, or "".
func (m manifest) enginesNode() string {
	var e map[string]any
	if json.Unmarshal(m.Engines, &e) != nil {
		return ""
	}
	s, _ := e["node"].(string)
	return s
}

// metadataURL is where the registry serves a package's metadata; a scoped
// name keeps its @ and escapes its slash, as npm does.
func metadataURL(registry, name string) string {
	return strings.TrimRight(registry, "/") + "/" + strings.Replace(url.PathEscape(name), "%40", "@", 1)
}

// fetchMetadata reads a package's metadata from the registry.
func (r *Resolver) fetchMetadata(ctx context.Context, name string) (*packument, error) {
	u := metadataURL(r.opts.Registry, name)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", name, err)
	}
	req.Header.Set("Accept", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8")
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metadata of %s: GET %s: %s", name, u, resp.Status)
	}
	var p packument
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(&p); err != nil {
		return nil, fmt.Errorf("metadata of %s from %s: %w", name, u, err)
	}
	for v, m := range p.Versions {
		if m.Name == "" {
			m.Name = name
		}
		if m.Version == "" {
			m.Version = v
		}
		p.Versions[v] = m
	}
	return &p, nil
}

// pick returns the highest version of p that allow accepts, ignoring
// versions that are not semver.
func (p *packument) pick(allow func(*semver.Version) bool) (manifest, *semver.Version, bool) {
	var vs []*semver.Version
	for raw := range p.Versions {
		v, err := semver.StrictNewVersion(raw)
		if err == nil && allow(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return manifest{}, nil, false
	}
	sort.Sort(semver.Collection(vs))
	best := vs[len(vs)-1]
	return p.Versions[best.Original()], best, true
}

// digests computes every hash a registry or packageManager may name.
type digests struct {
	hs map[string]hash.Hash
}

func newDigests() *digests {
	return &digests{hs: map[string]hash.Hash{
		"sha1": sha1.New(), "sha224": sha256.New224(), "sha256": sha256.New(),
		"sha384": sha512.New384(), "sha512": sha512.New(),
	}}
}

// Write feeds every hash.
func (d *digests) Write(p []byte) (int, error) {
	for _, h := range d.hs {
		h.Write(p)
	}
	return len(p), nil
}

// hex returns every digest in lower-case hex, by algorithm.
func (d *digests) hex() map[string]string {
	out := make(map[string]string, len(d.hs))
	for algo, h := range d.hs {
		out[algo] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// verifyIntegrity checks the digests of a tarball against the registry's
// dist.integrity (subresource-integrity strings; every hash given that
// relmig can compute must match) or, lacking one, dist.shasum. A tarball
// with neither is refused: relmig does not run code it cannot check.
func verifyIntegrity(m manifest, got map[string]string) error {
	checked := 0
	for _, part := range strings.Fields(m.Dist.Integrity) {
		algo, b64, ok := strings.Cut(part, "-")
		if !ok {
			continue
		}
		b64, _, _ = strings.Cut(b64, "?")
		want, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("integrity %q: %w", part, err)
		}
		have, known := got[algo]
		if !known {
			continue
		}
		if hex.EncodeToString(want) != have {
			return fmt.Errorf("integrity mismatch: the registry says %s, the download is %s-%s", part, algo, hexToBase64(have))
		}
		checked++
	}
	if checked > 0 {
		return nil
	}
	if m.Dist.Shasum != "" {
		if !strings.EqualFold(m.Dist.Shasum, got["sha1"]) {
			return fmt.Errorf("integrity mismatch: the registry says shasum %s, the download is %s", m.Dist.Shasum, got["sha1"])
		}
		return nil
	}
	return fmt.Errorf("the registry gives no integrity hash for %s@%s", m.Name, m.Version)
}

func hexToBase64(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}

// download writes the tarball of m to file, returning its digests and size.
// A short read (the connection dropped, the length announced not reached)
// is an error; the caller checks the digests.
func (r *Resolver) download(ctx context.Context, m manifest, file string) (map[string]string, int64, error) {
	u := m.Dist.Tarball
	if u == "" {
		return nil, 0, fmt.Errorf("%s@%s: the registry gives no tarball", m.Name, m.Version)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s@%s: %w", m.Name, m.Version, err)
	}
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s@%s: %w", m.Name, m.Version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s@%s: GET %s: %s", m.Name, m.Version, u, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, 0, fmt.Errorf("%s@%s: %w", m.Name, m.Version, err)
	}
	d := newDigests()
	n, err := io.Copy(io.MultiWriter(f, d), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		return nil, n, fmt.Errorf("%s@%s: download from %s: %w", m.Name, m.Version, u, err)
	}
	return d.hex(), n, nil
}
