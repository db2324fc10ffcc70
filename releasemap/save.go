package releasemap

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Marshal renders the map in its stable, diff-friendly form: keys in the
// order of the model, releases and migrations in the map's order, two-space
// indentation. When prev (the file's previous content) is given, comments
// found there are carried over to the same keys, releases (by version) and
// migrations (by id).
func (m *Map) Marshal(prev []byte) ([]byte, error) {
	var doc yaml.Node
	if err := doc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode release map: %w", err)
	}
	if len(prev) > 0 {
		var old yaml.Node
		if err := yaml.Unmarshal(prev, &old); err == nil && len(old.Content) > 0 {
			carryComments(old.Content[0], &doc)
		}
	}
	if doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if c := m.comments[doc.Content[i].Value]; c != "" && doc.Content[i].HeadComment == "" {
				doc.Content[i].HeadComment = "# " + c
			}
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode release map: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode release map: %w", err)
	}
	return buf.Bytes(), nil
}

// Save writes the map to path atomically (a temporary file renamed over the
// old one), keeping the comments and the file mode of the file it replaces;
// a new map file is 0644.
func (m *Map) Save(path string) error {
	prev, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	data, err := m.Marshal(prev)
	if err != nil {
		return err
	}
	// The file keeps its mode; a new map is 0644 (CreateTemp makes 0600).
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".releasemap-*.yaml")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	m.file = path
	return nil
}

// carryComments copies comments from the old node tree to the matching
// nodes of the new one. Mapping values match by key; list items match by
// their "id" or "version" key when they have one, else by position.
func carryComments(old, cur *yaml.Node) {
	if old == nil || cur == nil {
		return
	}
	if cur.HeadComment == "" {
		cur.HeadComment = old.HeadComment
	}
	if cur.LineComment == "" {
		cur.LineComment = old.LineComment
	}
	if cur.FootComment == "" {
		cur.FootComment = old.FootComment
	}
	switch {
	case cur.Kind == yaml.DocumentNode && old.Kind == yaml.DocumentNode:
		if len(old.Content) > 0 && len(cur.Content) > 0 {
			carryComments(old.Content[0], cur.Content[0])
		}
	case cur.Kind == yaml.MappingNode && old.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(cur.Content); i += 2 {
			for j := 0; j+1 < len(old.Content); j += 2 {
				if cur.Content[i].Value == old.Content[j].Value {
					carryComments(old.Content[j], cur.Content[i])
					carryComments(old.Content[j+1], cur.Content[i+1])
					break
				}
			}
		}
	case cur.Kind == yaml.SequenceNode && old.Kind == yaml.SequenceNode:
		byKey := map[string]*yaml.Node{}
		for _, o := range old.Content {
			if k := itemKey(o); k != "" {
				byKey[k] = o
			}
		}
		for i, c := range cur.Content {
			if k := itemKey(c); k != "" {
				carryComments(byKey[k], c)
			} else if i < len(old.Content) && itemKey(old.Content[i]) == "" {
				carryComments(old.Content[i], c)
			}
		}
	}
}

func itemKey(n *yaml.Node) string {
	for _, key := range []string{"id", "version"} {
		if v := mapValue(n, key); v != nil && v.Kind == yaml.ScalarNode {
			return key + "=" + v.Value
		}
	}
	return ""
}
