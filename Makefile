# fakecri — see README.md. Every target installs what it needs first.
.PHONY: run test bench lint build clean

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

build: node_modules/.package-lock.json
	npm run build

# Serve with the embedded default configuration.
run: build
	node dist/cli/main.js serve $(ARGS)

test: node_modules/.package-lock.json
	npm test

bench: node_modules/.package-lock.json
	npm run bench

lint: node_modules/.package-lock.json
	npm run lint

clean:
	rm -rf dist src/generated
