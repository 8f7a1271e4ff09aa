package deploy_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"

	"github.com/ripen/ripen/config"
	"github.com/ripen/ripen/linktoken"
	"github.com/ripen/ripen/sendgrid"
	"github.com/ripen/ripen/temporalconn"
	"github.com/ripen/ripen/workflows"
)

// loadCompose loads docker-compose.yml as `docker compose` would, with the
// given shell environment (nothing else leaks in from the test's).
func loadCompose(t *testing.T, env ...string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{root + "/docker-compose.yml"},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(env),
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
	)
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err)
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err)
	return s
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.True(t, ok && v != nil, "%s: %s is not set", s.Name, key)
	return *v
}

var ripenServices = []string{"migrate", "worker", "api", "sendgrid-dev"}

func TestComposeHasTheWholeStack(t *testing.T) {
	p := loadCompose(t)
	require.Equal(t, "ripen", p.Name)
	require.ElementsMatch(t, []string{
		"postgres", "temporal", "temporal-ui", "temporal-search-attributes",
		"migrate", "worker", "api", "sendgrid-dev",
	}, slices.Collect(maps.Keys(p.Services)))

	images := map[string]string{
		"postgres":                   "postgres:17-alpine",
		"temporal":                   "temporalio/auto-setup:1.29.7",
		"temporal-ui":                "temporalio/ui:2.54.1",
		"temporal-search-attributes": "temporalio/admin-tools:1.29.7-tctl-1.18.4-cli-1.7.2",
	}
	for name, image := range images {
		require.Equal(t, image, service(t, p, name).Image, name)
	}
	for _, name := range ripenServices {
		s := service(t, p, name)
		require.Equal(t, "ripen:dev", s.Image, name)
		require.NotNil(t, s.Build, "%s builds the image from the Dockerfile", name)
		require.Equal(t, p.WorkingDir, s.Build.Context, "%s builds from the repository root", name)
		require.Equal(t, "Dockerfile", s.Build.Dockerfile)
		require.NotEmpty(t, s.Command, name)
		require.True(t, ripenSubcommands[s.Command[0]], "%s runs `ripen %s`, which is no ripen subcommand", name, s.Command[0])
		require.Empty(t, s.Entrypoint, "%s keeps the image's entrypoint (ripen)", name)
	}
	require.Equal(t, types.ShellCommand{"migrate", "--create-database"}, service(t, p, "migrate").Command)
	require.Equal(t, types.ShellCommand{"worker"}, service(t, p, "worker").Command)
	require.Equal(t, types.ShellCommand{"api"}, service(t, p, "api").Command)
	require.Equal(t, "no", service(t, p, "migrate").Restart)
}

func TestComposePublishesThePorts(t *testing.T) {
	p := loadCompose(t)
	published := func(name string) map[uint32]string {
		out := map[uint32]string{}
		for _, port := range service(t, p, name).Ports {
			out[port.Target] = port.Published
			require.Equal(t, "127.0.0.1", port.HostIP, "%s publishes on localhost only", name)
		}
		return out
	}
	require.Equal(t, map[uint32]string{8080: "8080", 9464: "9090"}, published("api"), "the API's ops listener as ripen-dev has it")
	require.Equal(t, map[uint32]string{8025: "8025"}, published("sendgrid-dev"))
	require.Equal(t, map[uint32]string{8080: "8233"}, published("temporal-ui"))
	require.Equal(t, map[uint32]string{7233: "7233"}, published("temporal"))
	require.Equal(t, map[uint32]string{9464: "9464"}, published("worker"))
	require.Empty(t, service(t, p, "postgres").Ports, "Postgres stays inside the compose network")
}

func TestComposeStartsThingsInOrder(t *testing.T) {
	p := loadCompose(t)
	deps := func(name string) map[string]string {
		out := map[string]string{}
		for dep, d := range service(t, p, name).DependsOn {
			out[dep] = d.Condition
		}
		return out
	}
	healthy, done := types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully
	require.Equal(t, map[string]string{"postgres": healthy}, deps("temporal"))
	require.Equal(t, map[string]string{"temporal": healthy}, deps("temporal-ui"))
	require.Equal(t, map[string]string{"temporal": healthy}, deps("temporal-search-attributes"))
	require.Equal(t, map[string]string{"postgres": healthy}, deps("migrate"))
	for _, name := range []string{"worker", "api"} {
		require.Equal(t, map[string]string{
			"migrate": done, "temporal": healthy, "temporal-search-attributes": done,
		}, deps(name), name)
	}
	require.Equal(t, map[string]string{"api": healthy}, deps("sendgrid-dev"), "the webhook posts go to a ready API")

	// Every "healthy" condition needs a health check on the other side.
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == healthy {
				hc := service(t, p, dep).HealthCheck
				require.NotNil(t, hc, "%s waits for %s to be healthy, but it has no healthcheck", s.Name, dep)
				require.False(t, hc.Disable)
				require.NotEmpty(t, hc.Test)
			}
		}
	}
	require.Contains(t, strings.Join(service(t, p, "postgres").HealthCheck.Test, " "), "pg_isready")
	require.Equal(t, types.HealthCheckTest{"CMD", "temporal", "operator", "cluster", "health", "--address", "temporal:7233"},
		service(t, p, "temporal").HealthCheck.Test)
}

func TestComposeTemporalRunsOnThePostgres(t *testing.T) {
	p := loadCompose(t)
	temporal := service(t, p, "temporal")
	pg := service(t, p, "postgres")
	require.Equal(t, "postgres12", env(t, temporal, "DB"))
	require.Equal(t, "postgres", env(t, temporal, "POSTGRES_SEEDS"))
	require.Equal(t, env(t, pg, "POSTGRES_USER"), env(t, temporal, "POSTGRES_USER"))
	require.Equal(t, env(t, pg, "POSTGRES_PASSWORD"), env(t, temporal, "POSTGRES_PWD"))
	require.Equal(t, "true", env(t, temporal, "SKIP_ADD_CUSTOM_SEARCH_ATTRIBUTES"))
	require.Equal(t, "temporal:7233", env(t, service(t, p, "temporal-ui"), "TEMPORAL_ADDRESS"))
}

func TestComposeRegistersRipensSearchAttributes(t *testing.T) {
	p := loadCompose(t)
	job := service(t, p, "temporal-search-attributes")
	require.Equal(t, "no", job.Restart)
	script := strings.Join(job.Command, " ")
	// The very command ripen prints when an attribute is missing.
	require.Contains(t, script, temporalconn.CreateCommand(env(t, service(t, p, "worker"), "TEMPORAL_NAMESPACE"), workflows.SearchAttributes()))
	require.Contains(t, script, "--address temporal:7233")
	require.Contains(t, script, "namespace describe", "it waits for auto-setup to create the namespace")
}

func TestComposeConfiguresRipen(t *testing.T) {
	p := loadCompose(t)
	pg := service(t, p, "postgres")
	for _, name := range ripenServices {
		s := service(t, p, name)
		require.Equal(t, "postgres://"+env(t, pg, "POSTGRES_USER")+":"+env(t, pg, "POSTGRES_PASSWORD")+"@postgres:5432/ripen?sslmode=disable",
			env(t, s, "DATABASE_URL"), name)
		require.Equal(t, "temporal:7233", env(t, s, "TEMPORAL_ADDRESS"), name)
		require.Equal(t, "default", env(t, s, "TEMPORAL_NAMESPACE"), name)
		require.Equal(t, "0.0.0.0:8080", env(t, s, "RIPEN_HTTP_ADDR"), name)
		require.Equal(t, "0.0.0.0:9464", env(t, s, "RIPEN_OPS_ADDR"), name)
		require.Equal(t, "http://sendgrid-dev:8025", env(t, s, "SENDGRID_BASE_URL"), name)
		require.Equal(t, "http://localhost:8080", env(t, s, "RIPEN_PUBLIC_URL"), name)
		require.Equal(t, "http://localhost:8233", env(t, s, "RIPEN_TEMPORAL_UI_URL"), name)
		_, err := linktoken.ParseKeys(env(t, s, "RIPEN_LINK_KEYS"))
		require.NoError(t, err, "%s: RIPEN_LINK_KEYS", name)
		requireDocumented(t, "docker-compose.yml service "+name, slices.Collect(maps.Keys(s.Environment)))
	}
}

// Worker and API start only on a configuration that passes ripen's
// production checks (app.Open): the compose file must say what it does
// about payload encryption, not leave it to a default that refuses.
func TestComposeWorkerAndAPIPassRipensProductionChecks(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"worker", "api"} {
		s := service(t, p, name)
		cfg, err := config.FromEnv(func(key string) string {
			if v := s.Environment[key]; v != nil {
				return *v
			}
			return ""
		})
		require.NoError(t, err, name)
		require.NoError(t, cfg.CheckProduction(), name)
	}
}

func TestComposeLinkKeysCanComeFromTheShell(t *testing.T) {
	p := loadCompose(t, "RIPEN_LINK_KEYS=mine:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	require.Equal(t, "mine:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", env(t, service(t, p, "worker"), "RIPEN_LINK_KEYS"))
}

func TestComposeLocalSendGridIsWiredToTheAPI(t *testing.T) {
	p := loadCompose(t)
	sg := service(t, p, "sendgrid-dev")
	flags := map[string]string{}
	for _, arg := range sg.Command[1:] {
		k, v, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		require.True(t, ok, "flag %q: use --name=value", arg)
		flags[k] = v
	}
	require.Equal(t, "0.0.0.0:8025", flags["addr"])
	require.Equal(t, "http://api:8080/webhooks/sendgrid", flags["webhook-url"])
	require.Equal(t, env(t, service(t, p, "worker"), "SENDGRID_API_KEY"), flags["api-key"], "the worker's key must be the one sendgrid-dev accepts")

	// sendgrid-dev signs webhook posts with the configured private key; the
	// API must hold its public half.
	require.Len(t, sg.Configs, 1)
	require.Equal(t, flags["data-dir"]+"/sendgrid-webhook-key", sg.Configs[0].Target)
	cfg, ok := p.Configs[sg.Configs[0].Source]
	require.True(t, ok)
	signer, err := sendgrid.ParseSigner(strings.TrimSpace(cfg.Content))
	require.NoError(t, err)
	require.Equal(t, signer.PublicKeyBase64(), env(t, service(t, p, "api"), "SENDGRID_WEBHOOK_VERIFICATION_KEY"))
	_, err = sendgrid.NewVerifier(env(t, service(t, p, "api"), "SENDGRID_WEBHOOK_VERIFICATION_KEY"), 0)
	require.NoError(t, err)
}

// The image has no shell or curl: worker and API are health-checked by
// `ripen healthcheck` on their own /readyz, at their ops listener (the
// API's public listener answers 404 there).
func TestComposeChecksWorkerAndAPIHealthWithRipenItself(t *testing.T) {
	p := loadCompose(t)
	binary := strings.Trim(entrypointOf(t), `[]"`)
	for _, name := range []string{"api", "worker"} {
		s := service(t, p, name)
		require.NotNil(t, s.HealthCheck, name)
		_, port, ok := strings.Cut(env(t, s, "RIPEN_OPS_ADDR"), ":")
		require.True(t, ok)
		require.Equal(t, types.HealthCheckTest{"CMD", binary, "healthcheck", "http://127.0.0.1:" + port + "/readyz"}, s.HealthCheck.Test, name)
		require.True(t, ripenSubcommands[s.HealthCheck.Test[2]])
		require.NotNil(t, s.HealthCheck.Interval, name)
		require.NotNil(t, s.HealthCheck.Retries, name)
	}
	require.Nil(t, service(t, p, "migrate").HealthCheck, "a one-shot job has nothing to check")
}

func entrypointOf(t *testing.T) string {
	t.Helper()
	for _, in := range parseDockerfile(t) {
		if in.cmd == "ENTRYPOINT" {
			return in.args
		}
	}
	t.Fatal("the Dockerfile has no ENTRYPOINT")
	return ""
}
