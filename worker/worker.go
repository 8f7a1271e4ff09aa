// Package worker wires the journey workflow, the renewal detector and their
// activities to a Temporal worker on the ripen task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/ripen/ripen/activities"
	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/workflows"
)

// New builds a worker that runs journeys and their activities, and the
// daily renewal detector (started by its schedule) and its activity, with
// Options(t).
func New(c client.Client, acts *activities.Activities, renewals *activities.Renewals, t config.WorkerTuning) worker.Worker {
	if t.StickyCacheSize > 0 {
		// Process-wide in the SDK, so set here rather than in Options.
		worker.SetStickyWorkflowCacheSize(t.StickyCacheSize)
	}
	w := worker.New(c, workflows.TaskQueue, Options(t))
	w.RegisterWorkflow(workflows.Journey)
	w.RegisterActivity(acts)
	w.RegisterWorkflow(workflows.RenewalDetector)
	// The daily pruning of old events; PruneEvents is a method of acts.
	w.RegisterWorkflow(workflows.EventsRetention)
	// Fast-lane hand-offs without a run; their activities are methods of
	// acts, registered above.
	w.RegisterWorkflow(workflows.FastLaneHandoff)
	// Outbound webhook deliveries; DeliverWebhook is a method of acts.
	w.RegisterWorkflow(workflows.WebhookDelivery)
	w.RegisterActivity(renewals)
	return w
}

// Options are the SDK worker options for t; zero fields keep the SDK's
// defaults.
//
// Journey code changes are guarded with workflow.GetVersion and replay
// tests: that is the default, and it needs nothing here. A deployment name
// opts into Worker Versioning on top: the worker announces deployment +
// build ID, and gets work once that version is made current; runs
// auto-upgrade to the current version at a workflow task boundary (they
// last months, so pinning them would keep old builds alive for as long).
// Each build then needs its own pods until the next one is current
// (docs/operations.md, Upgrade).
func Options(t config.WorkerTuning) worker.Options {
	opts := worker.Options{
		MaxConcurrentActivityExecutionSize:     t.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: t.MaxConcurrentWorkflowTasks,
		MaxConcurrentWorkflowTaskPollers:       t.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:       t.ActivityPollers,
		WorkerStopTimeout:                      t.StopTimeout,
		StickyScheduleToStartTimeout:           t.StickyScheduleToStart,
	}
	if t.DeploymentName != "" {
		opts.DeploymentOptions = worker.DeploymentOptions{
			UseVersioning:             true,
			Version:                   worker.WorkerDeploymentVersion{DeploymentName: t.DeploymentName, BuildID: t.BuildID},
			DefaultVersioningBehavior: workflow.VersioningBehaviorAutoUpgrade,
		}
	}
	return opts
}
