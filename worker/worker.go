// Package worker wires the journey workflow and its activities to a Temporal
// worker on the ripen task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/workflows"
)

// New builds a worker that runs journeys and their activities. With a
// deployment name it opts into Worker Versioning: runs stay on the build
// they started on unless they auto-upgrade at a workflow task boundary;
// journey code changes are guarded with workflow.GetVersion and replay
// tests either way.
func New(c client.Client, acts *activities.Activities, t config.WorkerTuning) worker.Worker {
	if t.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(t.StickyCacheSize)
	}
	opts := worker.Options{
		MaxConcurrentActivityExecutionSize:     t.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: t.MaxConcurrentWorkflowTasks,
		MaxConcurrentWorkflowTaskPollers:       t.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:       t.ActivityPollers,
		WorkerStopTimeout:                      t.StopTimeout,
	}
	if t.DeploymentName != "" {
		opts.DeploymentOptions = worker.DeploymentOptions{
			UseVersioning:             true,
			Version:                   worker.WorkerDeploymentVersion{DeploymentName: t.DeploymentName, BuildID: t.BuildID},
			DefaultVersioningBehavior: workflow.VersioningBehaviorAutoUpgrade,
		}
	}
	w := worker.New(c, workflows.TaskQueue, opts)
	w.RegisterWorkflow(workflows.Journey)
	w.RegisterActivity(acts)
	return w
}
