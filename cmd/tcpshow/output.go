package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// output is where a command writes what it renders: standard output, or a
// file given with -o. A file is written under a temporary name in the same
// directory and renamed into place when the output is complete, so that
// nobody ever sees half of it, and an existing file is only replaced by a
// complete one.
type output struct {
	*bufio.Writer
	path string   // "" for standard output
	tmp  *os.File // the file being written, nil for standard output
}

// openOutput returns the output for path ("" or "-" for e's stdout).
func openOutput(e *env, path string) (*output, error) {
	if path == "" || path == "-" {
		return &output{Writer: bufio.NewWriterSize(e.stdout, 64<<10)}, nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("output %s: is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, unwrapPath(err))
	}
	return &output{Writer: bufio.NewWriterSize(tmp, 64<<10), path: path, tmp: tmp}, nil
}

// finish flushes the output. For a file it also syncs, closes and renames
// it into place; if keep is false (the command failed before writing
// anything worth keeping) the temporary file is removed instead. Errors
// name the file.
func (o *output) finish(keep bool) error {
	err := o.Flush()
	if o.tmp == nil {
		return err
	}
	if err == nil {
		err = o.tmp.Sync()
	}
	if cerr := o.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && keep {
		if err = os.Chmod(o.tmp.Name(), 0o644); err == nil {
			err = os.Rename(o.tmp.Name(), o.path)
		}
	}
	if err != nil || !keep {
		os.Remove(o.tmp.Name())
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", o.path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the temporary file's name from err, so that a message
// names only the file the user asked for.
func unwrapPath(err error) error {
	for {
		switch e := err.(type) {
		case *os.PathError:
			err = e.Err
		case *os.LinkError:
			err = e.Err
		default:
			return err
		}
	}
}
