// aws-cdk-lib 2.257 (our floor) builds TableV2's grants with its own deprecated TableGrantsProps and prints
// a deprecation warning per table; it is not about our code, so tests keep the output readable.
process.env.JSII_DEPRECATED = 'quiet';
