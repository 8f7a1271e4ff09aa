// Package worker wires the journey workflow and its activities to a Temporal
// worker on the ripen task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/workflows"
)

// Options tune the worker; zero values take the SDK's defaults.
type Options struct {
	MaxConcurrentActivities    int
	MaxConcurrentWorkflowTasks int
	WorkflowPollers            int
	ActivityPollers            int
	StickyCacheSize            int // process-wide; applied by the caller via worker.SetStickyWorkflowCacheSize
	DeploymentName, BuildID    string
}

// New builds a worker that runs journeys and their activities.
func New(c client.Client, acts *activities.Activities, o Options) worker.Worker {
	w := worker.New(c, workflows.TaskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     o.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: o.MaxConcurrentWorkflowTasks,
		MaxConcurrentWorkflowTaskPollers:       o.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:       o.ActivityPollers,
	})
	w.RegisterWorkflow(workflows.Journey)
	w.RegisterActivity(acts)
	return w
}
