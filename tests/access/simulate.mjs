// Test-only IAM policy evaluator: a thin adapter around @cloud-copilot/iam-simulate
// (AGPL-3.0). It is run by tests/iam_simulate.py and must never be imported by, or
// shipped with, the program.
//
// One process serves a whole test session: each line of stdin is one batch, and each
// batch is answered with one line of stdout, in order, until stdin closes.
//
// stdin line:  JSON array of requests
//   {name, principal, identityPolicies: [doc...], resourcePolicy: doc|null,
//    resourceAccount, action, resource, context: {key: value | [values]}}
//   A doc is a policy document, or its JSON text exactly as the resource carries it
//   (what AWS receives), parsed here.
// stdout line: JSON array of results, same order
//   {name, decision, explanation}
//   or, when the line itself cannot be read, {error}
// decision is the library's overallResult ('Allowed' | 'ImplicitlyDenied' |
// 'ExplicitlyDenied'), or 'Error' when the library refused the input (invalid
// policy, unknown action, resource ARN not valid for the action...).
//
// No evaluation logic lives here: runSimulation (the validating entry point) does it all.
import { createInterface } from 'node:readline';
import { getDenialReasons, getGrantReasons, runSimulation } from '@cloud-copilot/iam-simulate';

// A policy as the request gives it: its JSON text (parsed once, here) or a document.
function document(policy) {
  return typeof policy === 'string' ? JSON.parse(policy) : policy;
}

// The library's analysis holds parsed Statement objects next to plain "explain" objects
// that describe the same statement; keep only the plain, JSON-friendly part.
function plain(value) {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === 'statement' ? undefined : v)));
}

function toSimulation(req) {
  return {
    request: {
      principal: req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount },
      contextVariables: req.context ?? {}
    },
    identityPolicies: (req.identityPolicies ?? []).map(document).map((policy, i) => ({
      name: policy?.Id ?? `identity-policy-${i + 1}`,
      policy
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: req.resourcePolicy == null ? undefined : document(req.resourcePolicy)
  };
}

// One simulation per resource pattern: 1 for a concrete ARN, possibly several for a
// wildcard resource (the library then fans out and combines them into overallResult).
function explainResult(r) {
  return {
    resourceType: r.resourceType,
    resourcePattern: r.resourcePattern,
    ignoredContextKeys: r.ignoredContextKeys,
    grants: getGrantReasons(r.analysis),
    denials: getDenialReasons(r.analysis),
    analysis: plain(r.analysis)
  };
}

async function simulateOne(req) {
  const response = await runSimulation(toSimulation(req), { simulationMode: 'Strict' });
  if (response.resultType === 'error') {
    return { name: req.name, decision: 'Error', explanation: { errors: plain(response.errors) } };
  }
  const results = response.resultType === 'single' ? [response.result] : response.results;
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
  return {
    name: req.name,
    decision: response.overallResult,
    explanation: {
      resultType: response.resultType,
      ignoredContextKeys: ignored,
      results: results.map(explainResult)
    }
  };
}

async function simulateBatch(line) {
  const requests = JSON.parse(line);
  if (!Array.isArray(requests)) throw new Error('each line of stdin must be a JSON array of requests');
  const out = [];
  for (const req of requests) {
    try {
      out.push(await simulateOne(req));
    } catch (err) {
      // The library throws (rather than returning resultType 'error') on some inputs,
      // and a policy text that is not JSON lands here too.
      out.push({ name: req?.name, decision: 'Error', explanation: { thrown: String(err?.stack ?? err) } });
    }
  }
  return out;
}

async function main() {
  // One batch at a time: the next line is read once this one is answered.
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    let answer;
    try {
      answer = await simulateBatch(line);
    } catch (err) {
      answer = { error: String(err?.stack ?? err) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main().catch((err) => {
  process.stderr.write(String(err?.stack ?? err) + '\n');
  process.exit(1);
});
