# Filters mpirun's standard error for launch/mpirun-job (see there): drops Open MPI's boilerplate, holds the
# ranks' error lines and prints the lowest-numbered failing rank's at the end; writes that rank to `summary`.
function primary(msg) { return msg !~ /a peer may have died/ }
/^------------------------------+$/ { inblock = !inblock; next }
/^mpirun: Forwarding signal/ { next }
inblock { next }
/^\[[^] ]+:[0-9]+\] / { next }
/^ddtrain: rank [0-9]+: / && !/^ddtrain: rank [0-9]+: warning: / {
  r = $3; sub(/:$/, "", r); r += 0
  p = primary($0)
  # Keep the lowest rank's line, preferring a rank that names a cause over one that saw a peer die.
  if (best == "" || (p && !bestp) || (p == bestp && r < bestr)) { best = $0; bestr = r; bestp = p }
  next
}
{ print; fflush() }
END {
  if (best != "") { print best; fflush(); print bestr > summary }
}
