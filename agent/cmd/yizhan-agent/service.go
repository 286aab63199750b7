package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/yizhan/yizhan/agent/service"
)

// runService is the process the Windows service manager started: "run"
// with the arguments install registered, stopped by the manager.
func runService() int {
	return service.Run(func(ctx context.Context, ready func(), stderr io.Writer) int {
		args, err := service.RunArgs(os.Args[1:])
		if err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
			return 2
		}
		return runAgent(ctx, args, io.Discard, stderr, runOptions{service: true, ready: ready})
	})
}
