package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/workflows"
)

const manifestDir = root + "/deploy/kubernetes"

// kustomization is the part of kustomize's Kustomization these manifests
// use; decoding it strictly catches a misspelt field.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs            map[string]string `json:"pairs"`
		IncludeSelectors bool              `json:"includeSelectors"`
	} `json:"labels"`
	Images []struct {
		Name    string `json:"name"`
		NewName string `json:"newName"`
		NewTag  string `json:"newTag"`
	} `json:"images"`
}

// manifests holds every object in deploy/kubernetes, decoded strictly into
// its Kubernetes API type.
type manifests struct {
	kustomization *kustomization
	files         map[string][]any // file → objects
	namespaces    []*corev1.Namespace
	accounts      map[string]*corev1.ServiceAccount
	configMaps    map[string]*corev1.ConfigMap
	deployments   map[string]*appsv1.Deployment
	jobs          map[string]*batchv1.Job
	services      map[string]*corev1.Service
	hpas          map[string]*autoscalingv2.HorizontalPodAutoscaler
	pdbs          map[string]*policyv1.PodDisruptionBudget
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{
		files: map[string][]any{}, accounts: map[string]*corev1.ServiceAccount{},
		configMaps: map[string]*corev1.ConfigMap{}, deployments: map[string]*appsv1.Deployment{},
		jobs: map[string]*batchv1.Job{}, services: map[string]*corev1.Service{},
		hpas: map[string]*autoscalingv2.HorizontalPodAutoscaler{}, pdbs: map[string]*policyv1.PodDisruptionBudget{},
	}
	paths, err := filepath.Glob(filepath.Join(manifestDir, "*"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		name := filepath.Base(path)
		require.True(t, strings.HasSuffix(name, ".yaml"), "%s: manifests end in .yaml", name)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		for i, doc := range docSeparator.Split(string(raw), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			obj, err := decodeStrict([]byte(doc))
			require.NoError(t, err, "%s, document %d", name, i+1)
			m.files[name] = append(m.files[name], obj)
			switch o := obj.(type) {
			case *kustomization:
				require.Nil(t, m.kustomization, "one kustomization")
				require.Equal(t, "kustomization.yaml", name)
				m.kustomization = o
			case *corev1.Namespace:
				m.namespaces = append(m.namespaces, o)
			case *corev1.ServiceAccount:
				m.accounts[o.Name] = o
			case *corev1.ConfigMap:
				m.configMaps[o.Name] = o
			case *appsv1.Deployment:
				m.deployments[o.Name] = o
			case *batchv1.Job:
				m.jobs[o.Name] = o
			case *corev1.Service:
				m.services[o.Name] = o
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas[o.Name] = o
			case *policyv1.PodDisruptionBudget:
				m.pdbs[o.Name] = o
			}
		}
	}
	require.NotNil(t, m.kustomization, "deploy/kubernetes/kustomization.yaml")
	return m
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// decodeStrict reads apiVersion and kind, then decodes the document into
// the matching type, refusing unknown and duplicate fields.
func decodeStrict(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	switch tm.APIVersion + "/" + tm.Kind {
	case "kustomize.config.k8s.io/v1beta1/Kustomization":
		obj = &kustomization{}
	case "v1/Namespace":
		obj = &corev1.Namespace{}
	case "v1/ServiceAccount":
		obj = &corev1.ServiceAccount{}
	case "v1/ConfigMap":
		obj = &corev1.ConfigMap{}
	case "v1/Service":
		obj = &corev1.Service{}
	case "v1/Secret":
		return nil, fmt.Errorf("a Secret is committed: create it out of band (docs/operations.md)")
	case "apps/v1/Deployment":
		obj = &appsv1.Deployment{}
	case "batch/v1/Job":
		obj = &batchv1.Job{}
	case "autoscaling/v2/HorizontalPodAutoscaler":
		obj = &autoscalingv2.HorizontalPodAutoscaler{}
	case "policy/v1/PodDisruptionBudget":
		obj = &policyv1.PodDisruptionBudget{}
	default:
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", tm.APIVersion, tm.Kind, err)
	}
	return obj, nil
}

func TestManifestsDecodeStrictly(t *testing.T) {
	m := loadManifests(t)
	require.ElementsMatch(t, []string{"ripen-worker", "ripen-api"}, keys(m.deployments))
	require.ElementsMatch(t, []string{"ripen-migrate", "ripen-search-attributes"}, keys(m.jobs))
	require.ElementsMatch(t, []string{"ripen-api"}, keys(m.services))
	require.ElementsMatch(t, []string{"ripen-api"}, keys(m.hpas))
	require.ElementsMatch(t, []string{"ripen-worker", "ripen-api"}, keys(m.pdbs))
	require.ElementsMatch(t, []string{"ripen"}, keys(m.configMaps))
	require.ElementsMatch(t, []string{"ripen"}, keys(m.accounts))

	// The decoder really is strict.
	_, err := decodeStrict([]byte("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n"))
	require.ErrorContains(t, err, "replica")
	_, err = decodeStrict([]byte("apiVersion: v1\nkind: Secret\nmetadata: {name: ripen}\n"))
	require.Error(t, err)
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := loadManifests(t)
	k := m.kustomization
	require.Equal(t, "ripen", k.Namespace)
	var files []string
	for name := range m.files {
		if name != "kustomization.yaml" {
			files = append(files, name)
		}
	}
	require.ElementsMatch(t, files, k.Resources)
	require.Len(t, m.namespaces, 1)
	require.Equal(t, k.Namespace, m.namespaces[0].Name)
	require.Equal(t, "restricted", m.namespaces[0].Labels["pod-security.kubernetes.io/enforce"])
	require.Len(t, k.Images, 1)
	require.Equal(t, "ripen", k.Images[0].Name)
	require.NotEmpty(t, k.Images[0].NewTag)
	require.NotEqual(t, "latest", k.Images[0].NewTag)
}

// podSpecs are the pod templates of every workload, by workload name.
func (m *manifests) podSpecs() map[string]corev1.PodTemplateSpec {
	out := map[string]corev1.PodTemplateSpec{}
	for name, d := range m.deployments {
		out[name] = d.Spec.Template
	}
	for name, j := range m.jobs {
		out[name] = j.Spec.Template
	}
	return out
}

func TestPodsRunAsNonRootWithTheRestrictedProfile(t *testing.T) {
	m := loadManifests(t)
	for name, tpl := range m.podSpecs() {
		spec := tpl.Spec
		psc := spec.SecurityContext
		require.NotNil(t, psc, name)
		require.True(t, psc.RunAsNonRoot != nil && *psc.RunAsNonRoot, "%s: runAsNonRoot", name)
		require.True(t, psc.RunAsUser != nil && *psc.RunAsUser != 0, "%s: a non-zero runAsUser", name)
		require.True(t, psc.SeccompProfile != nil && psc.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault, "%s: seccomp RuntimeDefault", name)
		require.Equal(t, "ripen", spec.ServiceAccountName, name)
		require.True(t, spec.AutomountServiceAccountToken != nil && !*spec.AutomountServiceAccountToken, "%s: no service account token", name)
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			sc := c.SecurityContext
			require.NotNil(t, sc, "%s/%s", name, c.Name)
			require.True(t, sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "%s/%s: allowPrivilegeEscalation false", name, c.Name)
			require.True(t, sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem, "%s/%s: read-only root", name, c.Name)
			require.True(t, sc.Capabilities != nil && slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}), "%s/%s: drop ALL capabilities", name, c.Name)
			require.True(t, sc.Privileged == nil || !*sc.Privileged, "%s/%s", name, c.Name)
		}
	}
}

func TestContainersHaveRequestsAndLimits(t *testing.T) {
	m := loadManifests(t)
	for name, tpl := range m.podSpecs() {
		for _, c := range append(tpl.Spec.InitContainers, tpl.Spec.Containers...) {
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				req, ok := c.Resources.Requests[r]
				require.True(t, ok, "%s/%s: %s request", name, c.Name, r)
				lim, ok := c.Resources.Limits[r]
				require.True(t, ok, "%s/%s: %s limit", name, c.Name, r)
				require.True(t, req.Cmp(lim) <= 0, "%s/%s: %s request above limit", name, c.Name, r)
			}
			// Go's soft memory limit sits below the container's hard one.
			if v := envValue(c, "GOMEMLIMIT"); v != "" {
				soft := resource.MustParse(strings.TrimSuffix(v, "B"))
				hard := c.Resources.Limits[corev1.ResourceMemory]
				require.True(t, soft.Cmp(hard) < 0, "%s/%s: GOMEMLIMIT %s not below the limit %s", name, c.Name, v, hard.String())
			}
		}
	}
	for _, name := range []string{"ripen-worker", "ripen-api"} {
		c := m.deployments[name].Spec.Template.Spec.Containers[0]
		require.NotEmpty(t, envValue(c, "GOMEMLIMIT"), "%s sets GOMEMLIMIT", name)
	}
}

func TestRipenContainersRunTheImageWithAKnownSubcommand(t *testing.T) {
	m := loadManifests(t)
	want := map[string][]string{
		"ripen-worker": {"worker"}, "ripen-api": {"api"}, "ripen-migrate": {"migrate"},
	}
	for name, tpl := range m.podSpecs() {
		for _, c := range tpl.Spec.Containers {
			if c.Image != "ripen" {
				continue
			}
			require.Empty(t, c.Command, "%s: keep the image's entrypoint", name)
			require.NotEmpty(t, c.Args)
			require.True(t, ripenSubcommands[c.Args[0]], "%s: ripen %s", name, c.Args[0])
			require.Equal(t, want[name], c.Args, name)
			delete(want, name)
		}
	}
	require.Empty(t, want, "workloads without a ripen container")
}

func TestWorkerDrainsBeforeItIsKilled(t *testing.T) {
	m := loadManifests(t)
	d := m.deployments["ripen-worker"]
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	drain, err := time.ParseDuration(envValue(c, "RIPEN_WORKER_STOP_TIMEOUT"))
	require.NoError(t, err, "the worker sets RIPEN_WORKER_STOP_TIMEOUT")
	require.NotNil(t, spec.TerminationGracePeriodSeconds)
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	require.GreaterOrEqual(t, grace, drain+15*time.Second, "grace period %s leaves too little time after the %s drain", grace, drain)

	require.Equal(t, "0.0.0.0:9464", m.configMaps["ripen"].Data["RIPEN_OPS_ADDR"])
	requireProbe(t, c, c.LivenessProbe, "/healthz", 9464)
	requireProbe(t, c, c.ReadinessProbe, "/readyz", 9464) // Postgres and Temporal answer
	requireProbe(t, c, c.StartupProbe, "/healthz", 9464)
	require.Equal(t, "9464", d.Spec.Template.Annotations["prometheus.io/port"])

	// Rolling updates never take a worker away before its successor runs.
	require.Equal(t, 0, d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue())
	for _, name := range []string{
		"RIPEN_WORKER_MAX_CONCURRENT_ACTIVITIES", "RIPEN_WORKER_MAX_CONCURRENT_WORKFLOW_TASKS",
		"RIPEN_WORKER_WORKFLOW_POLLERS", "RIPEN_WORKER_ACTIVITY_POLLERS", "RIPEN_WORKER_STICKY_CACHE_SIZE",
	} {
		require.NotEmpty(t, envValue(c, name), name)
	}
}

func TestAPIProbesAndShutdown(t *testing.T) {
	m := loadManifests(t)
	d := m.deployments["ripen-api"]
	spec := d.Spec.Template.Spec
	c := spec.Containers[0]
	require.Equal(t, "0.0.0.0:8080", m.configMaps["ripen"].Data["RIPEN_HTTP_ADDR"])
	// The public listener answers 404 for /readyz and /metrics: readiness
	// and Prometheus go to the ops listener (RIPEN_OPS_ADDR); liveness stays
	// on the public one, so a stuck public listener restarts the pod.
	require.Equal(t, "0.0.0.0:9464", m.configMaps["ripen"].Data["RIPEN_OPS_ADDR"])
	requireProbe(t, c, c.ReadinessProbe, "/readyz", 9464)
	require.Equal(t, "9464", d.Spec.Template.Annotations["prometheus.io/port"])
	require.Equal(t, "/metrics", d.Spec.Template.Annotations["prometheus.io/path"])
	requireProbe(t, c, c.LivenessProbe, "/healthz", 8080)
	requireProbe(t, c, c.StartupProbe, "/healthz", 8080)

	// preStop sleep, then the API's own 20 s graceful shutdown (api.Server.Run).
	require.NotNil(t, c.Lifecycle)
	require.NotNil(t, c.Lifecycle.PreStop)
	require.NotNil(t, c.Lifecycle.PreStop.Sleep, "distroless has no shell: use the sleep action, not exec")
	need := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + 20*time.Second
	grace := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	require.Greater(t, grace, need)
	require.Equal(t, 0, d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue())
}

// requireProbe checks an HTTP probe on path whose port (by name or number)
// is the container's port number.
func requireProbe(t *testing.T, c corev1.Container, p *corev1.Probe, path string, port int32) {
	t.Helper()
	require.NotNil(t, p, "%s: probe for %s", c.Name, path)
	require.NotNil(t, p.HTTPGet, "%s: an HTTP probe", c.Name)
	require.Equal(t, path, p.HTTPGet.Path)
	got := p.HTTPGet.Port.IntVal
	if p.HTTPGet.Port.StrVal != "" {
		got = 0
		for _, cp := range c.Ports {
			if cp.Name == p.HTTPGet.Port.StrVal {
				got = cp.ContainerPort
			}
		}
	}
	require.Equal(t, port, got, "%s: probe %s port", c.Name, path)
}

func TestSelectorsMatch(t *testing.T) {
	m := loadManifests(t)
	for name, d := range m.deployments {
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		require.NoError(t, err)
		require.True(t, sel.Matches(labels.Set(d.Spec.Template.Labels)), "%s: selector misses its own pods", name)
		for _, tsc := range d.Spec.Template.Spec.TopologySpreadConstraints {
			s, err := metav1.LabelSelectorAsSelector(tsc.LabelSelector)
			require.NoError(t, err)
			require.True(t, s.Matches(labels.Set(d.Spec.Template.Labels)), "%s: topology spread selects other pods", name)
		}
	}
	// Each PDB covers exactly one Deployment's pods.
	for name, pdb := range m.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		require.NoError(t, err)
		var covered []string
		for dn, d := range m.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				covered = append(covered, dn)
			}
		}
		require.Equal(t, []string{name}, covered, "PDB %s", name)
	}
	// The api Service reaches the api pods and only them, on a named port.
	svc := m.services["ripen-api"]
	for dn, d := range m.deployments {
		match := labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels))
		require.Equal(t, dn == "ripen-api", match, "Service ripen-api vs %s", dn)
	}
	require.Len(t, svc.Spec.Ports, 1, "the ops port stays off the Service the Ingress routes to")
	require.Equal(t, "http", svc.Spec.Ports[0].TargetPort.StrVal)
	require.Equal(t, "http", m.deployments["ripen-api"].Spec.Template.Spec.Containers[0].Ports[0].Name)
}

// Readiness and metrics are served on the ops port of every pod
// (RIPEN_OPS_ADDR in the ConfigMap), never on the public listener, which
// answers 404 for them.
func TestProbesAndScrapesUseTheOpsPort(t *testing.T) {
	m := loadManifests(t)
	_, port, ok := strings.Cut(m.configMaps["ripen"].Data["RIPEN_OPS_ADDR"], ":")
	require.True(t, ok, "RIPEN_OPS_ADDR is host:port")
	for name, d := range m.deployments {
		tpl := d.Spec.Template
		c := tpl.Spec.Containers[0]
		ops := int32(0)
		for _, cp := range c.Ports {
			if cp.Name == "ops" {
				ops = cp.ContainerPort
			}
		}
		require.Equal(t, port, fmt.Sprint(ops), "%s: a container port named ops, where RIPEN_OPS_ADDR listens", name)
		requireProbe(t, c, c.ReadinessProbe, "/readyz", ops)
		require.Equal(t, port, tpl.Annotations["prometheus.io/port"], name)
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if p != nil && p.HTTPGet != nil && (p.HTTPGet.Path == "/readyz" || p.HTTPGet.Path == "/metrics") {
				require.Equal(t, "ops", p.HTTPGet.Port.String(), "%s: %s on the ops port", name, p.HTTPGet.Path)
			}
		}
	}
	for _, svc := range m.services {
		for _, sp := range svc.Spec.Ports {
			require.NotEqual(t, "ops", sp.TargetPort.String(), "Service %s exposes the ops port", svc.Name)
			require.NotEqual(t, port, sp.TargetPort.String(), "Service %s exposes the ops port", svc.Name)
		}
	}
}

func TestAutoscalingAndDisruptionBudgets(t *testing.T) {
	m := loadManifests(t)
	hpa := m.hpas["ripen-api"]
	require.Equal(t, "apps/v1", hpa.Spec.ScaleTargetRef.APIVersion)
	require.Equal(t, "Deployment", hpa.Spec.ScaleTargetRef.Kind)
	require.Equal(t, "ripen-api", hpa.Spec.ScaleTargetRef.Name)
	require.NotNil(t, hpa.Spec.MinReplicas)
	require.GreaterOrEqual(t, *hpa.Spec.MinReplicas, int32(2))
	require.Greater(t, hpa.Spec.MaxReplicas, *hpa.Spec.MinReplicas)
	require.Len(t, hpa.Spec.Metrics, 1)
	require.Equal(t, corev1.ResourceCPU, hpa.Spec.Metrics[0].Resource.Name)
	// CPU utilisation is measured against the request, so there must be one.
	_, ok := m.deployments["ripen-api"].Spec.Template.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]
	require.True(t, ok)

	// A PDB must still allow a voluntary eviction at the minimum size.
	api := m.pdbs["ripen-api"]
	require.NotNil(t, api.Spec.MinAvailable)
	require.Less(t, int32(api.Spec.MinAvailable.IntValue()), *hpa.Spec.MinReplicas)
	worker := m.pdbs["ripen-worker"]
	require.NotNil(t, worker.Spec.MaxUnavailable)
	require.GreaterOrEqual(t, worker.Spec.MaxUnavailable.IntValue(), 1)
	require.GreaterOrEqual(t, *m.deployments["ripen-worker"].Spec.Replicas, int32(2))
}

func TestJobs(t *testing.T) {
	m := loadManifests(t)
	for name, j := range m.jobs {
		require.Equal(t, corev1.RestartPolicyNever, j.Spec.Template.Spec.RestartPolicy, name)
		require.NotNil(t, j.Spec.BackoffLimit, name)
		require.NotNil(t, j.Spec.ActiveDeadlineSeconds, name)
		require.NotNil(t, j.Spec.TTLSecondsAfterFinished, name)
	}
	// Migrations need the database only.
	mig := m.jobs["ripen-migrate"].Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"DATABASE_URL"}, envNames(mig))

	// The search-attribute job runs the very command ripen prints when one
	// is missing, for the configured namespace.
	sa := m.jobs["ripen-search-attributes"].Spec.Template.Spec.Containers[0]
	require.Equal(t, temporalconn.CreateCommand("$(TEMPORAL_NAMESPACE)", workflows.SearchAttributes()), strings.Join(sa.Command, " "))
	require.Empty(t, sa.Args)
	require.True(t, strings.HasPrefix(sa.Image, "temporalio/admin-tools:"))
	require.Subset(t, envNames(sa), []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY"})
}

// The search-attribute Job reaches Temporal the way the worker does: the
// Temporal CLI reads the same TEMPORAL_* variables (address, namespace, the
// TEMPORAL_TLS_* settings of the ConfigMap, the API key) and finds the
// client certificate at the same mounted path, so it works with mTLS too.
func TestSearchAttributeJobConnectsLikeTheWorker(t *testing.T) {
	m := loadManifests(t)
	job := m.jobs["ripen-search-attributes"].Spec.Template.Spec
	worker := m.deployments["ripen-worker"].Spec.Template.Spec
	sa, w := job.Containers[0], worker.Containers[0]

	require.Equal(t, w.EnvFrom, sa.EnvFrom, "the ConfigMap with TEMPORAL_ADDRESS and TEMPORAL_TLS_*")
	for _, name := range []string{"TEMPORAL_API_KEY"} {
		require.Equal(t, envVar(w, name), envVar(sa, name), name)
	}
	require.Equal(t, w.VolumeMounts, sa.VolumeMounts, "the client certificate at the same path")
	require.Equal(t, worker.Volumes, job.Volumes)
	require.Len(t, job.Volumes, 1)
	require.Equal(t, "ripen-temporal-tls", job.Volumes[0].Secret.SecretName)

	// Every TLS path the ConfigMap offers lies under that mount.
	mount := sa.VolumeMounts[0].MountPath
	for _, line := range strings.Split(readFile(t, "deploy/kubernetes/configmap.yaml"), "\n") {
		name, value, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "# "), ":")
		if ok && strings.HasPrefix(name, "TEMPORAL_TLS_") && strings.HasSuffix(name, "_PATH") {
			require.True(t, strings.HasPrefix(strings.TrimSpace(value), mount+"/"), "%s=%s is outside %s", name, value, mount)
		}
	}
}

// Worker and API pods wait in an init container until the migration Job
// has brought the schema up to their image's (ripen migrate --check), and
// refuse to start on an older one anyway.
func TestPodsWaitForTheMigration(t *testing.T) {
	m := loadManifests(t)
	for _, name := range []string{"ripen-worker", "ripen-api"} {
		spec := m.deployments[name].Spec.Template.Spec
		require.Len(t, spec.InitContainers, 1, name)
		ic := spec.InitContainers[0]
		require.Equal(t, "ripen", ic.Image, name)
		require.Equal(t, spec.Containers[0].Image, ic.Image, "%s: the same image, so the same migrations", name)
		require.Empty(t, ic.Command, name)
		require.Len(t, ic.Args, 3, name)
		require.Equal(t, []string{"migrate", "--check"}, ic.Args[:2], name)
		wait, ok := strings.CutPrefix(ic.Args[2], "--wait=")
		require.True(t, ok, "%s: %s", name, ic.Args[2])
		d, err := time.ParseDuration(wait)
		require.NoError(t, err)
		require.Greater(t, d, time.Minute, name)
		require.Equal(t, []string{"DATABASE_URL"}, envNames(ic), name)
		require.Equal(t, envVar(m.jobs["ripen-migrate"].Spec.Template.Spec.Containers[0], "DATABASE_URL"), envVar(ic, "DATABASE_URL"), name)
		requireDocumented(t, name+"/"+ic.Name, envNames(ic))
	}
}

// GetVersion patching is the documented default: the one worker
// Deployment rolls from build to build, which is wrong with Worker
// Versioning (its old-build pods go before the new build is current), so
// the base leaves versioning off.
func TestWorkerVersioningIsOffInTheBase(t *testing.T) {
	m := loadManifests(t)
	for name, tpl := range m.podSpecs() {
		for _, c := range tpl.Spec.Containers {
			require.Empty(t, envVar(c, "RIPEN_WORKER_DEPLOYMENT_NAME"), "%s/%s", name, c.Name)
		}
	}
	_, ok := m.configMaps["ripen"].Data["RIPEN_WORKER_DEPLOYMENT_NAME"]
	require.False(t, ok)
	require.Len(t, m.deployments, 2, "one worker Deployment, rolled in place")
	ops := readFile(t, "docs/operations.md")
	for _, says := range []string{"`GetVersion` patching is the default", "one Deployment per build", "set-current-version"} {
		require.True(t, strings.Contains(ops, says), "docs/operations.md says %q", says)
	}
}

func envVar(c corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

func TestSecretsComeFromTheSecretOnly(t *testing.T) {
	m := loadManifests(t)
	cm := m.configMaps["ripen"]
	for key := range cm.Data {
		require.False(t, secretEnv[key], "ConfigMap ripen holds the secret %s", key)
	}
	requireDocumented(t, "ConfigMap ripen", keys(cm.Data))
	var commented []string
	for _, line := range strings.Split(readFile(t, "deploy/kubernetes/configmap.yaml"), "\n") {
		if name, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(line), "# "), ":"); ok && strings.HasPrefix(name, "TEMPORAL_TLS_") {
			commented = append(commented, name)
		}
	}
	require.Subset(t, commented, []string{
		"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
	}, "the mTLS paths are there to uncomment")
	for _, name := range commented {
		require.False(t, secretEnv[name], "%s is a secret: not in the ConfigMap, not even commented", name)
	}
	requireDocumented(t, "ConfigMap ripen (commented)", commented)

	for name, tpl := range m.podSpecs() {
		for _, c := range tpl.Spec.Containers {
			for _, from := range c.EnvFrom {
				require.NotNil(t, from.ConfigMapRef, "%s/%s: envFrom only the ConfigMap", name, c.Name)
				require.Contains(t, m.configMaps, from.ConfigMapRef.Name)
			}
			for _, e := range c.Env {
				if secretEnv[e.Name] {
					require.Empty(t, e.Value, "%s/%s: %s is a secret, not a literal", name, c.Name, e.Name)
					require.NotNil(t, e.ValueFrom, "%s/%s: %s", name, c.Name, e.Name)
					ref := e.ValueFrom.SecretKeyRef
					require.NotNil(t, ref, "%s/%s: %s from the Secret", name, c.Name, e.Name)
					require.Equal(t, "ripen", ref.Name)
					require.Equal(t, e.Name, ref.Key, "secret keys are named like the variables")
					optional := ref.Optional != nil && *ref.Optional
					wantOptional := e.Name == "TEMPORAL_API_KEY" || e.Name == "RIPEN_CODEC_KEYS"
					require.Equal(t, wantOptional, optional, "%s/%s: %s optional", name, c.Name, e.Name)
				}
				if ref := e.ValueFrom; ref != nil && ref.ConfigMapKeyRef != nil {
					require.Contains(t, cm.Data, ref.ConfigMapKeyRef.Key)
				}
			}
			if c.Image == "ripen" {
				requireDocumented(t, name+"/"+c.Name, envNames(c))
			}
		}
		for _, v := range tpl.Spec.Volumes {
			if v.Secret != nil {
				require.True(t, v.Secret.Optional != nil && *v.Secret.Optional, "%s: secret volume %s is optional", name, v.Name)
			}
		}
	}
	worker := m.deployments["ripen-worker"].Spec.Template.Spec.Containers[0]
	require.Subset(t, envNames(worker), []string{"DATABASE_URL", "RIPEN_LINK_KEYS", "SENDGRID_API_KEY", "TEMPORAL_API_KEY", "RIPEN_CODEC_KEYS"})
	api := m.deployments["ripen-api"].Spec.Template.Spec.Containers[0]
	require.Subset(t, envNames(api), []string{"DATABASE_URL", "RIPEN_LINK_KEYS", "SENDGRID_WEBHOOK_VERIFICATION_KEY", "TEMPORAL_API_KEY", "RIPEN_CODEC_KEYS"})
}

func TestNoSecretLooksCommitted(t *testing.T) {
	// Long base64 runs in a manifest are keys that slipped in.
	b64 := regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`)
	paths, err := filepath.Glob(filepath.Join(manifestDir, "*.yaml"))
	require.NoError(t, err)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		require.False(t, b64.Match(raw), "%s holds something that looks like a key", filepath.Base(p))
		require.False(t, bytes.Contains(raw, []byte("BEGIN ")), "%s holds a PEM block", filepath.Base(p))
	}
}

func envValue(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func envNames(c corev1.Container) []string {
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	return names
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
