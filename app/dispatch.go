package app

import (
	"context"
	"sync"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/webhooks"
)

// dispatchingWorker is a Temporal worker that also runs the outbound
// webhook dispatcher while it runs, so every process that runs deliveries
// (`ripen worker`, the dev stack, the chaos suite's workers that come and
// go) also starts them, and stopping the worker stops both.
type dispatchingWorker struct {
	sdkworker.Worker
	dispatcher *webhooks.Dispatcher

	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

func (w *dispatchingWorker) Start() error {
	if err := w.Worker.Start(); err != nil {
		return err
	}
	w.startDispatching()
	return nil
}

func (w *dispatchingWorker) Run(interruptCh <-chan any) error {
	w.startDispatching()
	defer w.stopDispatching()
	return w.Worker.Run(interruptCh)
}

func (w *dispatchingWorker) Stop() {
	w.stopDispatching()
	w.Worker.Stop()
}

func (w *dispatchingWorker) startDispatching() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		w.dispatcher.Run(ctx)
	}(w.done)
}

func (w *dispatchingWorker) stopDispatching() {
	w.mu.Lock()
	stop, done := w.stop, w.done
	w.stop, w.done = nil, nil
	w.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}
