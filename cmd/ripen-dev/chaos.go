package main

import (
	"context"
	"errors"
	"io"
)

func runChaos(ctx context.Context, args []string, out io.Writer) error {
	return errors.New("ripen-dev chaos is not built yet (issue 9)")
}
