// Command pulumi-language-nodejs is a small Node.js language host for the Pulumi
// CLI that this repository builds from Go modules (the module proxy does not
// serve the official one). The engine starts it as a plugin, it prints the port
// of its gRPC LanguageRuntime service, and for every `pulumi preview`, `up`,
// `refresh` or `destroy` it runs the program with @pulumi/pulumi's own
// `cmd/run` entry, resolved from the program's node_modules, with the same
// flags and environment the official host passes.
//
// It implements what the programs of this project need: Run, plugin info,
// required packages (none), dependency listing and About for `pulumi about`,
// `pulumi install` and Cancel. Everything else (policy packs through RunPlugin,
// `pulumi new` templates, code generation, Pack, Link) answers
// codes.Unimplemented, which the engine treats as "not supported".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// defaultRunPath is the module that runs a program; PULUMI_LANGUAGE_NODEJS_RUN_PATH overrides it.
const defaultRunPath = "@pulumi/pulumi/cmd/run"

func main() {
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	runtimeName := flag.String("runtime", "nodejs", "Runtime for programs (only nodejs is supported)")
	showVersion := flag.Bool("version", false, "Print the plugin version and exit")
	flag.String("root", "", "Project root (accepted for compatibility; the engine sends it with each request)")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	if *runtimeName != "nodejs" {
		cmdutil.Exit(fmt.Errorf("unsupported runtime %q: this host only runs nodejs", *runtimeName))
	}
	logging.InitLogging(false, 0, false)

	// The engine passes its own address as the last positional argument.
	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	// Exit when the engine goes away, so an interrupted CLI leaves no host behind.
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check: %w", err))
		}
	}

	host := newHost(engineAddress, *tracing)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}
	// The plugin handshake: the engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host gRPC server stopped: %w", err))
	}
}

// host implements pulumirpc.LanguageRuntimeServer for Node.js programs.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	// cancelRuns interrupts running programs when the engine calls Cancel.
	cancelCtx  context.Context
	cancelRuns context.CancelFunc
}

func newHost(engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(context.Background())
	return &host{engineAddress: engineAddress, tracing: tracing, cancelCtx: ctx, cancelRuns: cancel}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake receives the engine address when the engine attaches to a running host.
func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetPluginInfo reports the version stamped in at build time (the CLI's release).
func (h *host) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages reports no provider plugins: dynamic providers run through the
// `pulumi-resource-pulumi-nodejs` plugin the engine loads itself, and this project's
// programs use no packaged providers (the engine would try to download them).
func (h *host) GetRequiredPackages(ctx context.Context, _ *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages; also none.
func (h *host) GetRequiredPlugins(ctx context.Context, _ *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// RuntimeOptionsPrompts has nothing to ask (only `pulumi new` uses it).
func (h *host) RuntimeOptionsPrompts(ctx context.Context, _ *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// Cancel interrupts every running program (the engine calls it on Ctrl-C).
func (h *host) Cancel(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelRuns()
	return &emptypb.Empty{}, nil
}

// Run executes the program once and reports how it ended.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not find node on the $PATH: %v", err)}, nil
	}
	programDir := req.GetInfo().GetProgramDirectory()
	if programDir == "" {
		programDir = req.GetPwd()
	}
	runPath, err := resolveModule(ctx, nodeBin, programDir, runPathModule())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	command, err := buildRunCommand(req, runPath, h.engine(), h.tracing)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	logging.V(5).Infof("running %s %s", nodeBin, strings.Join(command.args, " "))

	runCtx, stop := context.WithCancel(h.cancelCtx)
	defer stop()
	context.AfterFunc(ctx, stop)
	cmd := exec.CommandContext(runCtx, nodeBin, command.args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), command.env...)
	// Node may switch its stdio to non-blocking mode; wrapping the writers makes Go copy
	// through pipes instead of handing our own file descriptors to the child.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	err = cmd.Run()
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return runResult(0, nil), nil
	case errors.As(err, &exitErr):
		return runResult(exitErr.ExitCode(), nil), nil
	default:
		return runResult(0, err), nil
	}
}

func runPathModule() string {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p
	}
	return defaultRunPath
}

// resolveModule finds a module the way the program will: Node's resolution from programDir. The common case (a
// bare specifier of a package without an "exports" map, in a node_modules folder of programDir or one above it) is
// resolved here; anything else asks Node, which costs a node start (about 0.1 s of CPU) on every run.
func resolveModule(ctx context.Context, nodeBin, programDir, module string) (string, error) {
	if p, ok := findModule(programDir, module); ok {
		return p, nil
	}
	script := fmt.Sprintf(`try { console.log(require.resolve(%q)) } catch (e) { `+
		`console.error(e.code === "MODULE_NOT_FOUND" ? "It looks like the Pulumi SDK has not been installed in %s. Have you run npm install?" : e.message); `+
		`process.exit(1) }`, module, programDir)
	cmd := exec.CommandContext(ctx, nodeBin, "-e", script)
	cmd.Dir = programDir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && len(exitErr.Stderr) > 0 {
			return "", errors.New(strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", fmt.Errorf("resolving %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// findModule is Node's CommonJS resolution of a bare specifier `pkg/sub` or `@scope/pkg/sub` from dir
// (https://nodejs.org/api/modules.html#all-together, LOAD_NODE_MODULES): each node_modules folder from dir up to
// the root, where `pkg/sub` is tried as a file, with the extensions .js, .json and .node, then as a folder (its
// package.json "main", then index.*). ok is false where this does not apply and Node must decide: a relative or
// absolute specifier, a package with an "exports" map (which Node resolves by its own rules), or nothing found
// (NODE_PATH, global folders, and Node's own error message). Like require.resolve, the result has symlinks resolved.
func findModule(dir, specifier string) (string, bool) {
	if specifier == "" || strings.HasPrefix(specifier, ".") || filepath.IsAbs(specifier) || strings.Contains(specifier, "\\") {
		return "", false
	}
	parts := strings.Split(specifier, "/")
	n := 1
	if strings.HasPrefix(specifier, "@") {
		n = 2
	}
	if len(parts) < n {
		return "", false
	}
	pkgName := filepath.Join(parts[:n]...)
	sub := filepath.Join(parts[n:]...)
	for d := filepath.Clean(dir); ; {
		if filepath.Base(d) != "node_modules" {
			pkgDir := filepath.Join(d, "node_modules", pkgName)
			if manifest, err := os.ReadFile(filepath.Join(pkgDir, "package.json")); err == nil {
				var pkg struct {
					Exports json.RawMessage `json:"exports"`
				}
				if json.Unmarshal(manifest, &pkg) != nil || len(pkg.Exports) > 0 {
					return "", false
				}
			}
			if p, ok := loadAsFileOrDirectory(filepath.Join(pkgDir, sub)); ok {
				if real, err := filepath.EvalSymlinks(p); err == nil {
					return real, true
				}
				return "", false
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", false
		}
		d = parent
	}
}

// loadAsFileOrDirectory is LOAD_AS_FILE then LOAD_AS_DIRECTORY of Node's resolution.
func loadAsFileOrDirectory(p string) (string, bool) {
	for _, candidate := range []string{p, p + ".js", p + ".json", p + ".node"} {
		if isFile(candidate) {
			return candidate, true
		}
	}
	if manifest, err := os.ReadFile(filepath.Join(p, "package.json")); err == nil {
		var pkg struct {
			Main string `json:"main"`
		}
		if json.Unmarshal(manifest, &pkg) == nil && pkg.Main != "" {
			main := filepath.Join(p, pkg.Main)
			for _, candidate := range []string{main, main + ".js", main + ".json", main + ".node",
				filepath.Join(main, "index.js"), filepath.Join(main, "index.json"), filepath.Join(main, "index.node")} {
				if isFile(candidate) {
					return candidate, true
				}
			}
		}
	}
	for _, index := range []string{"index.js", "index.json", "index.node"} {
		if candidate := filepath.Join(p, index); isFile(candidate) {
			return candidate, true
		}
	}
	return "", false
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func packageManager(info *pulumirpc.ProgramInfo) (npm.PackageManager, error) {
	var options map[string]any
	if info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	opts, err := parseOptions(options)
	if err != nil {
		return nil, err
	}
	return npm.ResolvePackageManager(npm.PackageManagerType(opts.packagemanager), info.GetProgramDirectory())
}

// About names the Node.js executable, its version and the package manager for `pulumi about`. The CLI asks for it on
// every preview, update and refresh (it goes into the update's metadata), so it must be cheap: `node --version`
// exits before Node starts its JavaScript runtime, while `npm --version` starts npm itself (about 0.25 s of CPU); npm's
// version is therefore read from the package.json of the npm installation on the PATH, and npm is only run where that
// file is not where an npm installation keeps it.
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	resp := &pulumirpc.AboutResponse{Executable: nodeBin, Metadata: map[string]string{}}
	if out, err := exec.CommandContext(ctx, nodeBin, "--version").Output(); err == nil {
		resp.Version = strings.TrimSpace(string(out))
	}
	if pm, err := packageManager(req.GetInfo()); err == nil {
		resp.Metadata["packagemanager"] = pm.Name()
		if v, ok := npmVersionFromInstall(pm.Name()); ok {
			resp.Metadata["packagemanagerVersion"] = v
		} else if v, err := pm.Version(); err == nil {
			resp.Metadata["packagemanagerVersion"] = v.String()
		}
	}
	return resp, nil
}

// npmVersionFromInstall reads the version of the `npm` on the PATH from its installation's package.json: npm's
// executable is (a link to) <npm>/bin/npm-cli.js or the <npm>/bin/npm script, or on Windows npm.cmd beside
// node_modules/npm. ok is false for other package managers and other layouts.
func npmVersionFromInstall(name string) (string, bool) {
	if name != "npm" {
		return "", false
	}
	exe, err := exec.LookPath("npm")
	if err != nil {
		return "", false
	}
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return "", false
	}
	candidates := []string{filepath.Join(filepath.Dir(real), "node_modules", "npm", "package.json")}
	if filepath.Base(filepath.Dir(real)) == "bin" {
		candidates = append([]string{filepath.Join(filepath.Dir(filepath.Dir(real)), "package.json")}, candidates...)
	}
	for _, file := range candidates {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var pkg struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &pkg) == nil && pkg.Name == "npm" && pkg.Version != "" {
			return pkg.Version, true
		}
	}
	return "", false
}

// GetProgramDependencies lists the program's packages from its lock file, like the official host.
func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	pm, err := packageManager(req.GetInfo())
	if err != nil {
		return nil, fmt.Errorf("failed to determine the package manager: %w", err)
	}
	pkgs, err := pm.ListPackages(ctx, req.GetInfo().GetProgramDirectory(), req.GetTransitiveDependencies())
	if err != nil {
		return nil, fmt.Errorf("failed to list the program's dependencies: %w", err)
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// InstallDependencies runs the project's package manager install (`pulumi install`).
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, server grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	var options map[string]any
	if req.GetInfo().GetOptions() != nil {
		options = req.GetInfo().GetOptions().AsMap()
	}
	opts, err := parseOptions(options)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Installing dependencies...\n\n")
	if _, err := npm.Install(server.Context(), npm.PackageManagerType(opts.packagemanager),
		req.GetInfo().GetProgramDirectory(), false, stdout, stderr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Finished installing dependencies\n\n")
	return closer.Close()
}
