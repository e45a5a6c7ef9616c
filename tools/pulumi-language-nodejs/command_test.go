package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const runPath = "/p/node_modules/@pulumi/pulumi/cmd/run/index.js"

func info(t *testing.T, entry string, options map[string]any) *pulumirpc.ProgramInfo {
	t.Helper()
	s, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.ProgramInfo{RootDirectory: "/p", ProgramDirectory: "/p", EntryPoint: entry, Options: s}
}

// envMap keeps only the variables the host adds.
func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		m[k] = v
	}
	return m
}

func TestBuildRunCommand(t *testing.T) {
	cases := []struct {
		name    string
		req     func(t *testing.T) *pulumirpc.RunRequest
		engine  string
		tracing string
		args    []string
		env     map[string]string
		err     string
	}{
		{
			name: "preview of a TypeScript project: every flag the run entry reads, in order",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{
					MonitorAddress: "127.0.0.1:4001", Organization: "organization", Project: "clientpolicy-quickstart",
					Stack: "dev", DryRun: true, Parallel: 16,
					Info: info(t, ".", map[string]any{"typescript": true}),
				}
			},
			engine: "127.0.0.1:4000",
			args: []string{runPath, "--monitor", "127.0.0.1:4001", "--engine", "127.0.0.1:4000",
				"--organization", "organization", "--project", "clientpolicy-quickstart", "--root-directory", "/p",
				"--stack", "dev", "--pwd", "/p", "--dry-run", "--parallel", "16", "."},
			env: map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]", "PULUMI_NODEJS_TYPESCRIPT": "true"},
		},
		{
			name: "up: no --dry-run; config keys in the namespace:config:name form; secret keys as a JSON list",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{
					MonitorAddress: "m:1", Project: "proj", Stack: "prod", Parallel: 1,
					Config: map[string]string{
						"clientpolicy:endpoint":     "http://127.0.0.1:9",
						"clientpolicy:clientSecret": "s3cret",
						"proj:limit":                "3",
					},
					ConfigSecretKeys: []string{"clientpolicy:clientSecret"},
					Info:             info(t, ".", nil),
				}
			},
			args: []string{runPath, "--monitor", "m:1", "--project", "proj", "--root-directory", "/p",
				"--stack", "prod", "--pwd", "/p", "--parallel", "1", "."},
			env: map[string]string{
				"PULUMI_CONFIG":             `{"clientpolicy:config:clientSecret":"s3cret","clientpolicy:config:endpoint":"http://127.0.0.1:9","proj:config:limit":"3"}`,
				"PULUMI_CONFIG_SECRET_KEYS": `["clientpolicy:clientSecret"]`,
				"PULUMI_NODEJS_TYPESCRIPT":  "true",
			},
		},
		{
			// The official host always passes --parallel, 0 included (the SDK then applies its default).
			name: "main entry point, tsconfig, nodeargs before the run entry, program args after the entry point",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{
					MonitorAddress: "m:1", Project: "proj", Stack: "s", Args: []string{"--flag", "x y"},
					Info: info(t, "examples/quickstart/", map[string]any{
						"tsconfig": "tsconfig.pulumi.json", "nodeargs": `--max-old-space-size=4096 --title "my program"`,
					}),
				}
			},
			tracing: "http://zipkin:9411",
			args: []string{"--max-old-space-size=4096", "--title", "my program", runPath, "--monitor", "m:1",
				"--project", "proj", "--root-directory", "/p", "--stack", "s", "--pwd", "/p", "--parallel", "0",
				"--tracing", "http://zipkin:9411", "examples/quickstart/", "--flag", "x y"},
			env: map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]",
				"PULUMI_NODEJS_TYPESCRIPT": "true", "PULUMI_NODEJS_TSCONFIG_PATH": "tsconfig.pulumi.json"},
		},
		{
			name: "typescript: false leaves ts-node off",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{MonitorAddress: "m:1", Info: info(t, "index.js", map[string]any{"typescript": false})}
			},
			args: []string{runPath, "--monitor", "m:1", "--root-directory", "/p", "--pwd", "/p", "--parallel", "0", "index.js"},
			env:  map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]"},
		},
		{
			name: "an older engine without ProgramInfo: pwd and program from the deprecated fields",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{MonitorAddress: "m:1", Pwd: "/old", Program: "/old/main.js"}
			},
			args: []string{runPath, "--monitor", "m:1", "--pwd", "/old", "--parallel", "0", "/old/main.js"},
			env:  map[string]string{"PULUMI_CONFIG": "{}", "PULUMI_CONFIG_SECRET_KEYS": "[]", "PULUMI_NODEJS_TYPESCRIPT": "true"},
		},
		{
			name: "a wrongly typed option is an error naming it",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{MonitorAddress: "m:1", Info: info(t, ".", map[string]any{"typescript": "yes"})}
			},
			err: "runtime option typescript must be a boolean",
		},
		{
			name: "an unclosed quote in nodeargs is an error",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{MonitorAddress: "m:1", Info: info(t, ".", map[string]any{"nodeargs": `--title "x`})}
			},
			err: `runtime option nodeargs: unclosed " quote`,
		},
		{
			name: "a malformed config key is an error naming it",
			req: func(t *testing.T) *pulumirpc.RunRequest {
				return &pulumirpc.RunRequest{MonitorAddress: "m:1", Config: map[string]string{"nonamespace": "1"}, Info: info(t, ".", nil)}
			},
			err: `stack config key "nonamespace"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := buildRunCommand(c.req(t), runPath, c.engine, c.tracing)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.args, c.args) {
				t.Errorf("args\n got %q\nwant %q", got.args, c.args)
			}
			if env := envMap(got.env); !reflect.DeepEqual(env, c.env) {
				t.Errorf("env\n got %v\nwant %v", env, c.env)
			}
			// Whatever the host adds must be valid JSON for the SDK's config loader.
			var cfg map[string]string
			if err := json.Unmarshal([]byte(envMap(got.env)["PULUMI_CONFIG"]), &cfg); err != nil {
				t.Errorf("PULUMI_CONFIG is not a JSON object: %v", err)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"  --a   --b=1 ", []string{"--a", "--b=1"}, false},
		{`--title "two words" 'single $quoted' a\ b`, []string{"--title", "two words", "single $quoted", "a b"}, false},
		{`""`, []string{""}, false},
		{`--x 'open`, nil, true},
		{`trailing\`, nil, true},
	}
	for _, c := range cases {
		got, err := splitArgs(c.in)
		if (err != nil) != c.err {
			t.Errorf("splitArgs(%q) error = %v, want error %v", c.in, err, c.err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseOptionsPackageManager(t *testing.T) {
	for pm, ok := range map[string]bool{"auto": true, "npm": true, "yarn": true, "pnpm": true, "bun": true, "cargo": false} {
		o, err := parseOptions(map[string]any{"packagemanager": pm})
		if ok != (err == nil) {
			t.Errorf("packagemanager %q: error = %v", pm, err)
		}
		if ok && o.packagemanager != pm {
			t.Errorf("packagemanager %q parsed as %q", pm, o.packagemanager)
		}
	}
	o, err := parseOptions(nil)
	if err != nil || !o.typescript || o.packagemanager != "auto" {
		t.Errorf("defaults = %+v, %v; want typescript on, packagemanager auto", o, err)
	}
}

func TestRunResult(t *testing.T) {
	cases := []struct {
		code int
		want *pulumirpc.RunResponse
	}{
		{0, &pulumirpc.RunResponse{}},
		{32, &pulumirpc.RunResponse{Bail: true}},
		{1, &pulumirpc.RunResponse{Error: "Program exited with non-zero exit code: 1"}},
		{-1, &pulumirpc.RunResponse{Error: "Program exited unexpectedly (killed by a signal)"}},
	}
	for _, c := range cases {
		got := runResult(c.code, nil)
		if got.Error != c.want.Error || got.Bail != c.want.Bail {
			t.Errorf("exit %d: got %+v, want %+v", c.code, got, c.want)
		}
	}
}

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

// The run entry is found without starting Node, where Node's answer is the same: a package in a node_modules folder
// above the program, a nearer copy shadowing it, a symlinked (npm link) package; and left to Node for an "exports" map.
func TestFindModuleAgreesWithNode(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "node_modules/@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi","main":"index.js"}`, 0o644)
	writeFile(t, filepath.Join(root, "node_modules/@pulumi/pulumi/index.js"), "", 0o644)
	writeFile(t, filepath.Join(root, "node_modules/@pulumi/pulumi/cmd/run/index.js"), "", 0o644)
	writeFile(t, filepath.Join(root, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"), "", 0o644)
	// A nearer copy without the subpath: Node keeps looking further up for that subpath.
	writeFile(t, filepath.Join(root, "app/node_modules/@pulumi/pulumi/package.json"), `{"name":"@pulumi/pulumi"}`, 0o644)
	writeFile(t, filepath.Join(root, "app/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js"), "", 0o644)
	writeFile(t, filepath.Join(root, "app/deep/program/index.ts"), "", 0o644)
	// A linked package: the result is its real path.
	writeFile(t, filepath.Join(root, "real/linked/lib.js"), "", 0o644)
	writeFile(t, filepath.Join(root, "real/linked/package.json"), `{"name":"linked","main":"lib"}`, 0o644)
	if err := os.Symlink(filepath.Join(root, "real/linked"), filepath.Join(root, "app/node_modules/linked")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "node_modules/withexports/package.json"), `{"name":"withexports","exports":{"./x":"./y.js"}}`, 0o644)
	writeFile(t, filepath.Join(root, "node_modules/withexports/y.js"), "", 0o644)

	program := filepath.Join(root, "app/deep/program")
	nodeBin, nodeErr := exec.LookPath("node")
	for _, spec := range []string{"@pulumi/pulumi/cmd/run", "@pulumi/pulumi/cmd/dynamic-provider", "linked", "@pulumi/pulumi"} {
		got, ok := findModule(program, spec)
		if !ok {
			t.Errorf("%s: not resolved without Node", spec)
			continue
		}
		if nodeErr != nil {
			continue
		}
		out, err := exec.Command(nodeBin, "-e", "process.chdir(process.argv[1]); console.log(require.resolve(process.argv[2], { paths: [process.cwd()] }))", program, spec).Output()
		if err != nil {
			t.Fatalf("%s: node: %v", spec, err)
		}
		if want := strings.TrimSpace(string(out)); got != want {
			t.Errorf("%s: resolved to %s, Node resolves %s", spec, got, want)
		}
	}
	for _, spec := range []string{"withexports/x", "./local", "missing/thing", filepath.Join(root, "x.js")} {
		if got, ok := findModule(program, spec); ok {
			t.Errorf("%s: resolved to %s; expected to be left to Node", spec, got)
		}
	}
}

// About reads npm's version from its installation instead of running `npm --version` on every run: the npm here is a
// script that, if run, prints another version and leaves a marker file.
func TestAboutDoesNotRunNpm(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on the PATH")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "npm-was-run")
	writeFile(t, filepath.Join(dir, "lib/node_modules/npm/package.json"), `{"name":"npm","version":"7.7.7"}`, 0o644)
	writeFile(t, filepath.Join(dir, "lib/node_modules/npm/bin/npm-cli.js"), "#!/bin/sh\ntouch '"+marker+"'\necho 9.9.9\n", 0o755)
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../lib/node_modules/npm/bin/npm-cli.js", filepath.Join(dir, "bin/npm")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", filepath.Join(dir, "bin")+string(os.PathListSeparator)+filepath.Dir(nodeBin))
	project := filepath.Join(dir, "project")
	writeFile(t, filepath.Join(project, "package.json"), `{"name":"p"}`, 0o644)
	resp, err := newHost("", "").About(context.Background(), &pulumirpc.AboutRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: project, ProgramDirectory: project, EntryPoint: "."},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Metadata["packagemanager"]; got != "npm" {
		t.Errorf("packagemanager %q, want npm", got)
	}
	if got := resp.Metadata["packagemanagerVersion"]; got != "7.7.7" {
		t.Errorf("packagemanagerVersion %q, want 7.7.7 (from package.json)", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("About ran npm")
	}
	if !strings.HasPrefix(resp.Version, "v") {
		t.Errorf("node version %q", resp.Version)
	}
}
