// Package live changes a running shop's faults while it runs: from a live
// fault file that the lab watches (`lab up --faults FILE`), and through a
// small control API on loopback (`lab fault add|rm|ls`).
//
// A save of the file, step by step:
//
//  1. fsnotify reports a write, create or rename in the file's folder (so
//     editors that save by writing a new file and renaming it over the old
//     one are seen too);
//  2. after Debounce without another event, the file is read and decoded
//     strictly, every entry checked against the shop's shape;
//  3. if anything is wrong, the error (file, line, column) is reported and
//     the faults in force stay as they were;
//  4. otherwise the difference is applied: removed faults off, new ones on,
//     changed ones off and on again, each change logged with its time.
package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"

	"lab/faults"
	"lab/lab"
	"lab/scenarios"
)

// Debounce is how long a save must be quiet before the file is read: an
// editor's save is often several events (truncate, write, rename).
const Debounce = 20 * time.Millisecond

// applyTimeout bounds applying one change of the file.
const applyTimeout = 15 * time.Second

// Watcher applies a live fault file to a live fault set.
type Watcher struct {
	Path  string
	Shape lab.Shape
	Live  *faults.Live
	// Log receives a line per change and per refused edit.
	Log io.Writer
	// Changed, if not nil, is called after each applied edit.
	Changed func([]faults.Change)
}

// Load reads the file and applies it: the first load, before Start.
// A missing file means no faults; a bad one is an error.
func (w *Watcher) Load(ctx context.Context) error {
	data, err := os.ReadFile(w.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", w.Path, err)
	}
	specs, err := scenarios.ParseLive(w.Path, data, w.Shape)
	if err != nil {
		return err
	}
	return w.apply(ctx, specs)
}

// Start watches the file, from when it returns until ctx ends, applying
// every valid edit; done is closed once the watch has stopped.
func (w *Watcher) Start(ctx context.Context) (done <-chan struct{}, err error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", w.Path, err)
	}
	abs, err := filepath.Abs(w.Path)
	if err == nil {
		err = fw.Add(filepath.Dir(abs))
	}
	if err != nil {
		fw.Close()
		return nil, fmt.Errorf("watch %s: %w", w.Path, err)
	}
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		defer fw.Close()
		w.run(ctx, fw, abs)
	}()
	return ch, nil
}

func (w *Watcher) run(ctx context.Context, fw *fsnotify.Watcher, abs string) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == abs && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename|fsnotify.Remove) != 0 {
				timer.Reset(Debounce)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return
			}
			fmt.Fprintf(w.Log, "%s watch %s: %v\n", time.Now().Format("15:04:05.000"), w.Path, err)
		case <-timer.C:
			w.reload(ctx)
		}
	}
}

// reload reads, checks and applies the file; a bad edit changes nothing.
// Nothing in it may end the session: a panic is logged as a refusal.
func (w *Watcher) reload(ctx context.Context) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(w.Log, "%s refused: %s: internal error: %v; the faults in force stay as they were\n", time.Now().Format("15:04:05.000"), w.Path, v)
		}
	}()
	data, err := os.ReadFile(w.Path)
	if errors.Is(err, os.ErrNotExist) {
		return // renamed away mid-save; the new file's event follows
	}
	var specs []faults.Spec
	if err == nil {
		specs, err = scenarios.ParseLive(w.Path, data, w.Shape)
	}
	if err != nil {
		fmt.Fprintf(w.Log, "%s refused: %v; the faults in force stay as they were\n", time.Now().Format("15:04:05.000"), err)
		return
	}
	if err := w.apply(ctx, specs); err != nil {
		fmt.Fprintf(w.Log, "%s %v\n", time.Now().Format("15:04:05.000"), err)
	}
}

func (w *Watcher) apply(ctx context.Context, specs []faults.Spec) error {
	ctx, cancel := context.WithTimeout(ctx, applyTimeout)
	defer cancel()
	changes, err := w.Live.Set(ctx, faults.FromFile, specs)
	for _, c := range changes {
		fmt.Fprintln(w.Log, c)
	}
	if w.Changed != nil && len(changes) > 0 {
		w.Changed(changes)
	}
	return err
}
