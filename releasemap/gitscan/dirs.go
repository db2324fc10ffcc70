package gitscan

import (
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Resolving the migrations folder's tree of every new commit reads a root
// tree (and the trees down to the folder) per commit: the bulk of a cold
// scan. go-git's storage is not safe for concurrent use, but independent
// storages over the same files are, so large batches are split across one
// storage per core.
const (
	// parallelMin is the batch size below which one reader is faster than
	// opening more (each loads the pack indexes).
	parallelMin = 2048
	// maxReaders bounds the storages (and their object caches) in memory.
	maxReaders = 4
)

// resolveDirs sets dirTree on each record from its root tree. Records are
// split into contiguous runs of the walk's order, so that neighbouring
// commits, which share subtrees and delta bases, land on the same reader.
func (w *walker) resolveDirs(ctx context.Context, recs []*commitRec) error {
	batch := w.batch
	if batch <= 0 {
		batch = parallelMin
	}
	readers := min(runtime.GOMAXPROCS(0), maxReaders, max(1, len(recs)/batch))
	if readers <= 1 {
		return resolveRun(ctx, w.trees, recs)
	}
	chunk := (len(recs) + readers - 1) / readers
	errs := make([]error, readers)
	var wg sync.WaitGroup
	for i := range readers {
		run := recs[min(i*chunk, len(recs)):min((i+1)*chunk, len(recs))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 0 {
				errs[i] = resolveRun(ctx, w.trees, run)
				return
			}
			r := w.repo.reader()
			defer r.Close()
			errs[i] = resolveRun(ctx, newTrees(r, w.trees.parts), run)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// resolveRun resolves the folder trees of recs with one reader.
func resolveRun(ctx context.Context, t *trees, recs []*commitRec) error {
	for i, rec := range recs {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		dir, err := t.dirTree(rec.root)
		if err != nil {
			return annotate(err, "", "commit "+rec.hash.String()[:12])
		}
		rec.dirTree = dir
	}
	return nil
}

// reader opens another storage over the same repository, for a goroutine of
// its own. It shares nothing mutable with r.
func (r *repository) reader() *repository {
	st := filesystem.NewStorageWithOptions(r.fs, cache.NewObjectLRU(objectCacheSize/2),
		filesystem.Options{KeepDescriptors: true})
	return &repository{st: st, fs: r.fs, id: r.id, remote: r.remote, root: r.root, partial: r.partial,
		packs: r.packs, pr: newPackReader(r.packs)}
}
