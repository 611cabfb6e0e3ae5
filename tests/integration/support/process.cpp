// Child processes for integration tests.
#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tmsteams::testsupport {

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            int in, int out, int err) {
    pid_t pid = ::fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for (const auto& [k, v] : env) {
            ::setenv(k.c_str(), v.c_str(), 1);
        }
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    return pid;
}

int decodeStatus(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

}  // namespace

TempDir::TempDir() {
    char tmpl[] = "/tmp/tmsteams-test-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    if (!p) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = p;
}

TempDir::~TempDir() {
    std::error_code ec;
    if (!std::getenv("KEEP_TEST_DIRS")) {
        std::filesystem::remove_all(path_, ec);
    }
}

Process::Process(std::vector<std::string> argv, std::string logDir,
                 std::map<std::string, std::string> env) {
    static int counter = 0;
    std::string base = std::filesystem::path(argv[0]).filename().string();
    std::string stem = logDir + "/" + base + "." + std::to_string(::getpid()) + "." +
                       std::to_string(counter++);
    outPath_ = stem + ".out";
    errPath_ = stem + ".err";
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int out = ::open(outPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = ::open(errPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || out < 0 || err < 0) {
        throw std::runtime_error("cannot create the log files " + stem + ".out/.err");
    }
    pid_ = spawn(argv, env, in, out, err);
    ::close(in);
    ::close(out);
    ::close(err);
}

Process::~Process() {
    if (running()) {
        signal(SIGKILL);
        wait(5s);
    }
}

bool Process::running() {
    if (exit_ || pid_ <= 0) {
        return false;
    }
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        exit_ = decodeStatus(status);
        return false;
    }
    return true;
}

std::optional<std::string> Process::waitForLine(const std::string& prefix,
                                                std::chrono::milliseconds limit) {
    std::optional<std::string> found;
    eventually(
        [&] {
            std::istringstream in(slurp(outPath_));
            std::string line;
            while (std::getline(in, line)) {
                if (line.rfind(prefix, 0) == 0) {
                    found = line.substr(prefix.size());
                    return true;
                }
            }
            return !running();
        },
        limit);
    return found;
}

bool Process::waitForStderr(const std::string& text, std::chrono::milliseconds limit) {
    return eventually([&] { return slurp(errPath_).find(text) != std::string::npos; }, limit);
}

void Process::signal(int sig) {
    if (pid_ > 0 && !exit_) {
        ::kill(pid_, sig);
    }
}

std::optional<int> Process::wait(std::chrono::milliseconds limit) {
    eventually([&] { return !running(); }, limit);
    return exit_;
}

std::string Process::stdoutText() const { return slurp(outPath_); }
std::string Process::stderrText() const { return slurp(errPath_); }

CommandResult runCommand(const std::vector<std::string>& argv, std::chrono::milliseconds limit,
                         const std::map<std::string, std::string>& env,
                         const std::string& stdinText) {
    TempDir dir;
    std::string inPath = dir / "stdin", outPath = dir / "stdout", errPath = dir / "stderr";
    {
        std::ofstream(inPath, std::ios::binary) << stdinText;
    }
    int in = ::open(inPath.c_str(), O_RDONLY | O_CLOEXEC);
    int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t pid = spawn(argv, env, in, out, err);
    ::close(in);
    ::close(out);
    ::close(err);
    CommandResult result;
    int status = 0;
    bool done = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, limit);
    if (!done) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        result.exitCode = -1;
    } else {
        result.exitCode = decodeStatus(status);
    }
    result.out = slurp(outPath);
    result.err = slurp(errPath);
    return result;
}

std::string binaryPath(const char* envName) {
    const char* v = std::getenv(envName);
    if (!v || !*v) {
        throw std::runtime_error(std::string("environment variable ") + envName +
                                 " is not set; run the tests through meson test");
    }
    return v;
}

}  // namespace tmsteams::testsupport
