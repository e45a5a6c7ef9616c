package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// runtimeOptions are the `runtime.options` of a nodejs project in Pulumi.yaml.
type runtimeOptions struct {
	// typescript: run .ts sources through ts-node (default true, as in the official host).
	typescript bool
	// tsconfig: path of the tsconfig.json ts-node should load (PULUMI_NODEJS_TSCONFIG_PATH).
	tsconfig string
	// nodeargs: extra arguments for `node`, split like a shell would.
	nodeargs []string
	// packagemanager: auto, npm, yarn, pnpm or bun; used by `pulumi install` and `pulumi about`.
	packagemanager string
}

// parseOptions validates the runtime options. Unknown keys are ignored, as the
// official host does; a known key with the wrong type is an error naming it.
func parseOptions(opts map[string]any) (runtimeOptions, error) {
	o := runtimeOptions{typescript: true, packagemanager: "auto"}
	if v, ok := opts["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return o, fmt.Errorf("runtime option typescript must be a boolean, got %v", v)
		}
		o.typescript = b
	}
	if v, ok := opts["tsconfig"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, fmt.Errorf("runtime option tsconfig must be a string, got %v", v)
		}
		o.tsconfig = s
	}
	if v, ok := opts["nodeargs"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, fmt.Errorf("runtime option nodeargs must be a string, got %v", v)
		}
		args, err := splitArgs(s)
		if err != nil {
			return o, fmt.Errorf("runtime option nodeargs: %w", err)
		}
		o.nodeargs = args
	}
	if v, ok := opts["packagemanager"]; ok {
		s, isString := v.(string)
		switch {
		case !isString:
			return o, fmt.Errorf("runtime option packagemanager must be a string, got %v", v)
		case s == "auto" || s == "npm" || s == "yarn" || s == "pnpm" || s == "bun":
			o.packagemanager = s
		default:
			return o, fmt.Errorf("runtime option packagemanager must be one of auto, npm, yarn, pnpm or bun, got %q", s)
		}
	}
	return o, nil
}

// splitArgs splits a command line into words: blanks separate words, single
// quotes keep everything literally, double quotes and backslashes escape.
func splitArgs(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote, escaped := false, rune(0), false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if escaped {
		return nil, errors.New("ends with a lone backslash")
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// nodeCommand is everything needed to start one program run.
type nodeCommand struct {
	// args for `node`: node arguments, the run entry, its flags, the entry point, program args.
	args []string
	// env entries appended to the host's own environment.
	env []string
}

// buildRunCommand turns a RunRequest into the `node` command line and the extra
// environment that @pulumi/pulumi's `cmd/run` entry reads, the same flags and
// variables the official host passes.
func buildRunCommand(req *pulumirpc.RunRequest, runPath, engineAddress, tracing string) (nodeCommand, error) {
	info := req.GetInfo()
	var options map[string]any
	if info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	opts, err := parseOptions(options)
	if err != nil {
		return nodeCommand{}, err
	}

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	// The program talks to the engine's resource monitor directly: the official host puts a
	// forwarding proxy in between only to serve its legacy synchronous-invoke pipes (--sync).
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	pwd := info.GetProgramDirectory()
	if pwd == "" {
		pwd = req.GetPwd()
	}
	flag("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	flag("tracing", tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram() //nolint:staticcheck // older engines only set the deprecated field
	}
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return nodeCommand{}, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	keysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nodeCommand{}, err
	}
	env := []string{
		"PULUMI_CONFIG=" + cfg,
		"PULUMI_CONFIG_SECRET_KEYS=" + string(keysJSON),
	}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	return nodeCommand{args: args, env: env}, nil
}

// configJSON renders the stack configuration for PULUMI_CONFIG. Keys are written
// in the old `<namespace>:config:<name>` form like the official host does, which
// every @pulumi/pulumi version reads (new versions accept both forms).
func configJSON(cfg map[string]string) (string, error) {
	out := make(map[string]string, len(cfg))
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", fmt.Errorf("stack config key %q: %w", k, err)
		}
		out[key.Namespace()+":config:"+key.Name()] = cfg[k]
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// exitCodeBail is what @pulumi/pulumi's run entry exits with after it has
// already reported the error to the engine; the host then adds nothing.
const exitCodeBail = 32

// runResult maps the exit of `node` to the RunResponse the engine expects.
func runResult(exitCode int, startErr error) *pulumirpc.RunResponse {
	switch {
	case startErr != nil:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", startErr)}
	case exitCode == 0:
		return &pulumirpc.RunResponse{}
	case exitCode == exitCodeBail:
		return &pulumirpc.RunResponse{Bail: true}
	case exitCode < 0:
		return &pulumirpc.RunResponse{Error: "Program exited unexpectedly (killed by a signal)"}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitCode)}
	}
}
