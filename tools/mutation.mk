# Mutation testing (included by the top-level Makefile; not part of
# `make test`): see docs/internals.md, "Mutation testing".
#
#   make mutate   mutmut over the serving path and the security-relevant
#                 modules, on CPython, with one worker: tests/ and the
#                 in-process host tests for every mutant, then the host
#                 tests with real servers for those that survived. Writes
#                 build/mutation/report.md (score per module, every
#                 survivor not judged equivalent in
#                 tools/mutation_equivalents.txt); fails under 95%.
#                 MUTATE_ARGS passes options to tools/mutate.py, e.g.
#                 '--modules http,body', '--recheck' (only the last
#                 survivors, after new tests), '--resume' (what a stopped
#                 run left), '--report-only', '--no-host-tests'.

MUTATE_ARGS ?=
MUTATION_STAMP := $(VENV)/.installed-mutation

.PHONY: mutate

# mutmut is pinned in the `mutation` extra of pyproject.toml.
$(MUTATION_STAMP): pyproject.toml tools/dev_requirements.py | $(VENV_STAMP)
	$(VPY) tools/dev_requirements.py --extra mutation \
	    > $(VENV)/requirements-mutation.txt
	$(VPY) -m pip install --progress-bar off -q \
	    -r $(VENV)/requirements-mutation.txt
	@touch $@

#help Testing: mutate  mutation testing of the serving and security modules on CPython (hours); report in build/mutation/report.md [MUTATE_ARGS=<tools/mutate.py options>]
mutate: $(VENV_STAMP) $(DEPS_STAMP) $(MUTATION_STAMP)
	$(VPY) tools/mutate.py $(MUTATE_ARGS)
