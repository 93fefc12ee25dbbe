# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_streamctl_global_optspecs
    string join \n f/pipeline-file= F/follow i/input-format= O/output-format= o/output= time-field= time-format= lateness= idle-timeout= multiline-start= checkpoint= guarantee= checkpoint-interval= reset on-error= dead-letter= max-line-bytes= explain stats progress no-progress line-buffered q/quiet h/help V/version
end

function __fish_streamctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_streamctl_global_optspecs) -- $cmd 2>/dev/null
    or return 0
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_streamctl_using_subcommand
    set -l cmd (__fish_streamctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c streamctl -n "__fish_streamctl_needs_command" -s f -l pipeline-file -d 'Read the pipeline from a file (then every positional argument is a FILE)' -r -F
complete -c streamctl -n "__fish_streamctl_needs_command" -s i -l input-format -d 'Input format; `auto` goes by extension, else by the first line' -r -f -a "auto\t''
json\t''
csv\t''
tsv\t''
logfmt\t''
lines\t''"
complete -c streamctl -n "__fish_streamctl_needs_command" -s O -l output-format -d 'Output format' -r -f -a "json\t''
csv\t''
tsv\t''
logfmt\t''
table\t''"
complete -c streamctl -n "__fish_streamctl_needs_command" -s o -l output -d 'Write results to F (appends) instead of stdout' -r -F
complete -c streamctl -n "__fish_streamctl_needs_command" -l time-field -d 'Field holding event time (default: the first of ts, timestamp, time, @timestamp)' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l time-format -d 'Timestamp format: `auto` (RFC 3339, epoch s/ms, common-log) or a strftime pattern' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l lateness -d 'How far out of order event time may be' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l idle-timeout -d 'With no input for D, event time moves on with the wall clock (and a held multi-line event of a pipe or followed file is let go)' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l multiline-start -d 'A line matching REGEX starts an event; other lines join it with `\\n`' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l checkpoint -d 'Checkpoint file: record offsets and state, resume from it' -r -F
complete -c streamctl -n "__fish_streamctl_needs_command" -l guarantee -d 'Delivery guarantee with --checkpoint' -r -f -a "at-most-once\t''
at-least-once\t''
exactly-once\t''"
complete -c streamctl -n "__fish_streamctl_needs_command" -l checkpoint-interval -d 'Commit a checkpoint every N events or every duration (`10000`, `1s`)' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -l on-error -d 'What to do with malformed input lines' -r -f -a "warn\t''
skip\t''
fail\t''"
complete -c streamctl -n "__fish_streamctl_needs_command" -l dead-letter -d 'Write every rejected line, byte for byte, to F' -r -F
complete -c streamctl -n "__fish_streamctl_needs_command" -l max-line-bytes -d 'Longest accepted line; longer lines are rejected without being held in memory' -r
complete -c streamctl -n "__fish_streamctl_needs_command" -s F -l follow -d 'Keep reading the files as they grow, like `tail -F`'
complete -c streamctl -n "__fish_streamctl_needs_command" -l reset -d 'Start over, ignoring (and replacing) an existing checkpoint'
complete -c streamctl -n "__fish_streamctl_needs_command" -l explain -d 'Print the parsed plan and run nothing'
complete -c streamctl -n "__fish_streamctl_needs_command" -l stats -d 'At exit, print counts, throughput and the state held (groups, windows, bytes) to stderr'
complete -c streamctl -n "__fish_streamctl_needs_command" -l progress -d 'Show a progress bar on stderr (default: when stderr is a terminal)'
complete -c streamctl -n "__fish_streamctl_needs_command" -l no-progress -d 'Never show a progress bar'
complete -c streamctl -n "__fish_streamctl_needs_command" -l line-buffered -d 'Flush after every output line'
complete -c streamctl -n "__fish_streamctl_needs_command" -s q -l quiet -d 'Write nothing; exit 0 at the first result row, 1 if there was none'
complete -c streamctl -n "__fish_streamctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c streamctl -n "__fish_streamctl_needs_command" -s V -l version -d 'Print version'
complete -c streamctl -n "__fish_streamctl_needs_command" -a "compile" -d 'Compile a pipeline into a job for a distributed engine (Flink SQL) and print it'
complete -c streamctl -n "__fish_streamctl_needs_command" -a "help" -d 'Print help: the options, or a topic such as the pipeline language'
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l target -d 'The engine to compile for' -r -f -a "flink-sql\t'Apache Flink SQL (a script for the SQL client or SQL gateway)'"
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l schema -d 'Column names and types of the input, `name type` a line (e.g. `status BIGINT`); default: inferred from the first 1000 events of the FILE or --sample' -r -F
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l sample -d 'Infer the schema from this file\'s first 1000 events instead of the FILE\'s' -r -F
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -s i -l input-format -d 'Input format; `auto` goes by extension, else by the first line' -r -f -a "auto\t''
json\t''
csv\t''
tsv\t''
logfmt\t''
lines\t''"
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l time-field -d 'Field holding event time (default: the first of ts, timestamp, time, @timestamp)' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l time-format -d 'Timestamp format: `auto` or a strftime pattern' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l lateness -d 'How far out of order event time may be (the watermark\'s delay)' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l source-option -d 'A source connector option `key=value` (repeatable); replaces the filesystem connector, e.g. `connector=kafka`' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l sink-option -d 'A sink connector option `key=value` (repeatable); replaces the filesystem sink' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l sink-path -d 'Directory the default filesystem sink writes JSON lines to' -r
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -l explain -d 'Say which Flink operators each stage becomes, and print no SQL'
complete -c streamctl -n "__fish_streamctl_using_subcommand compile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c streamctl -n "__fish_streamctl_using_subcommand help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c streamctl -n "__fish_streamctl_using_subcommand help" -f -a language -d 'The pipeline language: stages, aggregates, windows, expressions, functions'
complete -c streamctl -n "__fish_streamctl_using_subcommand help" -f -a compile -d 'The compile subcommand'
