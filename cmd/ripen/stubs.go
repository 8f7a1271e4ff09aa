package main

import (
	"context"
	"errors"
	"io"
)

var errTODO = errors.New("not built yet")

func runWorker(context.Context, []string, io.Writer) error             { return errTODO }
func runAPI(context.Context, []string, io.Writer) error                { return errTODO }
func runMigrate(context.Context, []string, io.Writer, io.Writer) error { return errTODO }
func runAPIKeys(context.Context, []string, io.Writer, io.Writer) error { return errTODO }
func runSendGridDev(context.Context, []string, io.Writer) error        { return errTODO }
