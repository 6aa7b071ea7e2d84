// The parts of the AWS SDK the driver uses, in one place: loaded lazily (see
// client.ts), and the entry of the separately bundled dist/aws.js, where
// naming them lets the bundler drop the other ~800 EC2 commands.
export {
  EC2Client,
  AuthorizeSecurityGroupIngressCommand,
  CancelSpotInstanceRequestsCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteSecurityGroupCommand,
  DescribeAccountAttributesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSubnetsCommand,
  ImportKeyPairCommand,
  RebootInstancesCommand,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceStopped,
  waitUntilInstanceTerminated,
  waitUntilSecurityGroupExists,
  waitUntilSpotInstanceRequestFulfilled,
} from '@aws-sdk/client-ec2';
export { fromNodeProviderChain } from '@aws-sdk/credential-providers';
