"""The evaluator itself: the mod_dialplan_xml rules the inbound dialplan depends on, on tiny dialplans."""
import pytest
from defusedxml import ElementTree

from tests.deploy.dialplan_eval import Channel, Unsupported, execute, hunt


def context(xml):
    return ElementTree.fromstring(f"<context name='t'>{xml}</context>")


def test_a_plain_set_is_invisible_to_later_conditions_but_an_inline_one_is_not():
    dialplan = context("""
      <extension name="a" continue="true"><condition field="destination_number" expression="^(\\d+)$">
        <action application="set" data="plain=$1"/>
        <action application="set" data="inline=$1" inline="true"/></condition></extension>
      <extension name="sees_plain"><condition field="${plain}" expression="^1$">
        <action application="log" data="plain seen"/></condition></extension>
      <extension name="sees_inline"><condition field="${inline}" expression="^1$">
        <action application="log" data="inline seen"/></condition></extension>""")
    channel = Channel(profile={"destination_number": "1"})
    result = hunt(dialplan, channel)
    assert result.extensions == ["a", "sees_inline"]
    assert result.applications == [("set", "plain=1"), ("log", "inline seen")]
    assert channel.variables == {"inline": "1"}


def test_anti_actions_run_on_a_false_condition_and_stop_the_hunt():
    dialplan = context("""
      <extension name="x"><condition field="destination_number" expression="^9">
        <action application="bridge" data="a"/><anti-action application="respond" data="404"/></condition></extension>
      <extension name="never"><condition><action application="park" data=""/></condition></extension>""")
    result = hunt(dialplan, Channel(profile={"destination_number": "123"}))
    assert result.applications == [("respond", "404")]
    assert result.extensions == ["x"]


def test_a_false_condition_without_anti_actions_moves_on_to_the_next_extension():
    dialplan = context("""
      <extension name="x"><condition field="${missing}" expression="^yes$">
        <action application="bridge" data="a"/></condition></extension>
      <extension name="y"><condition field="${missing}" expression="^$">
        <action application="park" data=""/></condition></extension>""")
    result = hunt(dialplan, Channel(profile={}))
    assert result.applications == [("park", "")]


def test_break_on_true_skips_the_rest_of_the_extension():
    dialplan = context("""
      <extension name="x">
        <condition field="destination_number" expression="^1" break="on-true"><action application="log" data="one"/></condition>
        <condition field="destination_number" expression="^1"><action application="log" data="two"/></condition>
      </extension>""")
    result = hunt(dialplan, Channel(profile={"destination_number": "1"}))
    assert result.data("log") == ["one"]


def test_captures_fill_dollar_n_and_queued_sets_run_in_order():
    dialplan = context("""
      <extension name="x"><condition field="destination_number" expression="^0(\\d+)$">
        <action application="set" data="e164=+44$1"/><action application="set" data="copy=${e164}"/>
        <action application="socket" data="c:8084 async full"/></condition></extension>""")
    channel = Channel(profile={"destination_number": "07700900123"})
    result = hunt(dialplan, channel)
    assert execute(result, channel, stop_at="socket") == 2
    assert channel.variables == {"e164": "+447700900123", "copy": "+447700900123"}


def test_features_outside_the_subset_are_refused_not_guessed():
    with pytest.raises(Unsupported):
        hunt(context("""<extension name="x"><condition wday="2-6"/></extension>"""), Channel(profile={}))
    with pytest.raises(Unsupported):
        hunt(context("""<extension name="x"><condition field="${acl(1.2.3.4 l)}" expression="true"/></extension>"""),
             Channel(profile={}))
