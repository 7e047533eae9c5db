// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+). On Node 20 every Task would
// fail with "Promise.withResolvers is not a function" and a Catch on States.ALL would hide it.
import '../../local/polyfills';
